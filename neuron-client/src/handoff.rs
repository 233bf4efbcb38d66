//! The hand-off of learning commands from `neuron` to `neuron-learner`, and why there are two
//! binaries.
//!
//! libtorch runs hundreds of milliseconds of static initialisers (operator registration) in
//! every process that links it, before `main`. Only `neuron run` and `neuron bench train`
//! need it, so they live in the `neuron-learner` crate and its binary of the same name, the
//! only ones linking libtorch; this crate, and so `neuron`, never does, and `neuron
//! metagraph`, `neuron balance` and the rest start in milliseconds.
//!
//! `neuron` hands a learning command over with `exec`: the learner takes the same process id,
//! arguments, standard streams and signals, so a supervisor (or a test) that started
//! `neuron run` still holds the process that learns, and Ctrl-C reaches it directly.

use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};

/// The learner binary's file name.
pub const LEARNER: &str = "neuron-learner";

/// Where the learner is: `NEURON_LEARNER` if set, else next to the running `neuron`.
pub fn path() -> Result<PathBuf> {
	if let Some(path) = std::env::var_os("NEURON_LEARNER") {
		return Ok(PathBuf::from(path));
	}
	let exe = std::env::current_exe().context("finding the running neuron binary")?;
	Ok(companion(&exe))
}

fn companion(exe: &Path) -> PathBuf {
	exe.with_file_name(format!("{LEARNER}{}", std::env::consts::EXE_SUFFIX))
}

/// Replaces this process with the learner, given this process's own arguments. Returns only
/// on failure.
pub fn exec() -> Result<std::convert::Infallible> {
	let learner = path()?;
	if !learner.is_file() {
		bail!(
			"this command trains a model, which `{LEARNER}` does, and it is not at {} (build it \
			 with `cargo build --release -p neuron-learner`, install it next to `neuron`, \
			 or name it with NEURON_LEARNER)",
			learner.display()
		);
	}
	let mut args = std::env::args_os();
	let arg0 = args.next().unwrap_or_else(|| "neuron".into());
	let mut command = std::process::Command::new(&learner);
	command.args(args);
	replace(command, arg0, &learner)
}

#[cfg(unix)]
fn replace(
	mut command: std::process::Command,
	arg0: std::ffi::OsString,
	learner: &Path,
) -> Result<std::convert::Infallible> {
	use std::os::unix::process::CommandExt;
	let error = command.arg0(arg0).exec();
	Err(error).with_context(|| format!("starting {}", learner.display()))
}

#[cfg(not(unix))]
fn replace(
	mut command: std::process::Command,
	_arg0: std::ffi::OsString,
	learner: &Path,
) -> Result<std::convert::Infallible> {
	// No exec: wait for the learner and leave with its status.
	let status = command.status().with_context(|| format!("starting {}", learner.display()))?;
	std::process::exit(status.code().unwrap_or(1))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_learner_is_looked_for_beside_neuron() {
		let found = companion(Path::new("/opt/bittensor/bin/neuron"));
		assert_eq!(found, PathBuf::from(format!("/opt/bittensor/bin/{LEARNER}")));
	}
}
