//! Lets the `neuron-learner` binary (and this package's tests) find libtorch at run time
//! without `LD_LIBRARY_PATH`: an rpath to the lib folder torch-sys linked against.

fn main() {
	println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
	if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
		// Resolved, so the rpath stays valid whatever link pointed at it.
		let lib = std::fs::canonicalize(&lib).map(|p| p.display().to_string()).unwrap_or(lib);
		println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
	}
}
