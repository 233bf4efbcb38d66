//! The two binaries: `neuron` starts without libtorch, and hands `run` and `bench train` to
//! `neuron-learner`, which has it. The dynamic loader's own log (`LD_DEBUG=libs`, glibc) says
//! which shared libraries a process loaded.

mod common;

use common::run;

const LIBTORCH: &str = "libtorch_cpu.so";

#[test]
fn neuron_starts_without_libtorch() {
	let home = tempfile::tempdir().unwrap();
	let out = run(home.path(), &["--version"], &[("LD_DEBUG", "libs")], "");
	assert!(out.ok().starts_with("neuron "));
	assert!(
		out.stderr.contains("libc.so"),
		"the loader's log is missing, so this check would prove nothing:\n{}",
		out.stderr
	);
	assert!(!out.stderr.contains(LIBTORCH), "`neuron --version` loaded libtorch:\n{}", out.stderr);
}

#[test]
fn bench_train_is_handed_to_the_learner_which_loads_libtorch() {
	let home = tempfile::tempdir().unwrap();
	let args = [
		"bench",
		"train",
		"--steps",
		"2",
		"--batch",
		"2",
		"--seq-len",
		"8",
		"--dim",
		"16",
		"--json",
	];
	let out = run(home.path(), &args, &[("LD_DEBUG", "libs")], "");
	let report: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
	assert_eq!(report["steps"], 2);
	assert!(report["params"].as_i64().unwrap() > 0);
	assert!(out.stderr.contains(LIBTORCH), "the learner ran without libtorch?\n{}", out.stderr);
}

#[test]
fn a_missing_learner_is_named() {
	let home = tempfile::tempdir().unwrap();
	let gone = home.path().join("no-such-learner");
	let gone = gone.to_str().unwrap();
	let out =
		run(home.path(), &["bench", "train", "--steps", "1"], &[("NEURON_LEARNER", gone)], "");
	out.fails_with(&["neuron-learner", gone]);
	// Every other command is unaffected.
	assert!(run(home.path(), &["--version"], &[("NEURON_LEARNER", gone)], "")
		.ok()
		.contains("neuron"));
}
