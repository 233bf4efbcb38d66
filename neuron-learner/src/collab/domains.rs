//! The texts the collaboration bench trains on, all of them already on any machine that builds
//! this project (nothing is downloaded): the shared Shakespeare text, this workspace's own Rust
//! source, and the Python standard library that the torch set-up needs.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Bytes taken from each domain at most (about the size of the Shakespeare text), so no domain
/// gets more training text than another.
pub const DOMAIN_BYTES: usize = 1 << 20;

/// One kind of text.
#[derive(Clone, Debug)]
pub struct Domain {
	/// Its name in reports: `shakespeare`, `rust`, `python`.
	pub name: &'static str,
	/// Where its bytes came from.
	pub source: String,
	/// The text.
	pub bytes: Vec<u8>,
}

/// Where to read each domain; `None` looks in the usual places.
#[derive(Clone, Debug, Default)]
pub struct Sources {
	/// The Shakespeare text (a file).
	pub shakespeare: Option<PathBuf>,
	/// A folder of Rust source.
	pub rust: Option<PathBuf>,
	/// A folder of Python source.
	pub python: Option<PathBuf>,
}

impl Sources {
	/// The three domains, in the order neurons are given them.
	pub fn load(&self) -> Result<Vec<Domain>> {
		Ok(vec![self.shakespeare()?, self.rust()?, self.python()?])
	}

	/// Only the Shakespeare text (the newcomer and equal-compute parts need no other).
	pub fn shakespeare(&self) -> Result<Domain> {
		let path = match &self.shakespeare {
			Some(path) => path.clone(),
			None => shakespeare_candidates()
				.into_iter()
				.find(|p| p.is_file())
				.context("the Shakespeare text is not at ../shared/data/tinyshakespeare.txt; name it with --shakespeare FILE")?,
		};
		let mut bytes =
			std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
		bytes.truncate(DOMAIN_BYTES);
		domain("shakespeare", &path, bytes)
	}

	fn rust(&self) -> Result<Domain> {
		let root = match &self.rust {
			Some(path) => path.clone(),
			// This workspace, where it was built.
			None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
		};
		let bytes = sources(&root, "rs", DOMAIN_BYTES).with_context(|| {
			format!("reading Rust source under {} (--rust DIR)", root.display())
		})?;
		domain("rust", &root, bytes)
	}

	fn python(&self) -> Result<Domain> {
		let root = match &self.python {
			Some(path) => path.clone(),
			None => python_stdlib()?,
		};
		let bytes = sources(&root, "py", DOMAIN_BYTES).with_context(|| {
			format!("reading Python source under {} (--python DIR)", root.display())
		})?;
		domain("python", &root, bytes)
	}
}

fn domain(name: &'static str, path: &Path, bytes: Vec<u8>) -> Result<Domain> {
	// Each neuron's shard must leave room for batches and a held-out part.
	if bytes.len() < 64 << 10 {
		bail!("{name}: {} holds {} bytes; at least 64 KiB are needed", path.display(), bytes.len());
	}
	Ok(Domain { name, source: path.display().to_string(), bytes })
}

fn shakespeare_candidates() -> Vec<PathBuf> {
	vec![
		PathBuf::from("../shared/data/tinyshakespeare.txt"),
		Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/tinyshakespeare.txt"),
	]
}

/// The Python standard library of the `python3` on the PATH.
fn python_stdlib() -> Result<PathBuf> {
	let out = std::process::Command::new("python3")
		.args(["-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"])
		.output()
		.context(
			"running python3 to find its standard library (or name a folder with --python DIR)",
		)?;
	if !out.status.success() {
		bail!("python3 did not say where its standard library is; name a folder with --python DIR");
	}
	Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The files ending in `.ext` under `root`, in path order, skipping hidden folders, build
/// output and tests of the standard library, joined until `cap` bytes.
pub fn sources(root: &Path, ext: &str, cap: usize) -> Result<Vec<u8>> {
	let mut files = Vec::new();
	walk(root, ext, &mut files)?;
	files.sort();
	let mut out = Vec::new();
	for file in files {
		if out.len() >= cap {
			break;
		}
		// An unreadable file is skipped: the corpus is whatever can be read.
		if let Ok(bytes) = std::fs::read(&file) {
			out.extend_from_slice(&bytes);
			out.push(b'\n');
		}
	}
	out.truncate(cap);
	Ok(out)
}

fn walk(dir: &Path, ext: &str, files: &mut Vec<PathBuf>) -> Result<()> {
	for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
		let Ok(entry) = entry else { continue };
		let path = entry.path();
		let name = entry.file_name();
		let name = name.to_string_lossy();
		let Ok(kind) = entry.file_type() else { continue };
		if kind.is_dir() {
			let skipped = name.starts_with('.')
				|| matches!(&*name, "target" | "node_modules" | "site-packages" | "test" | "tests");
			if !skipped {
				walk(&path, ext, files)?;
			}
		} else if kind.is_file() && path.extension().is_some_and(|e| e == ext) {
			files.push(path);
		}
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sources_are_read_in_path_order_up_to_the_cap() {
		let dir = tempfile::tempdir().unwrap();
		std::fs::create_dir_all(dir.path().join("b")).unwrap();
		std::fs::create_dir_all(dir.path().join("target")).unwrap();
		std::fs::write(dir.path().join("b/two.rs"), "fn two() {}").unwrap();
		std::fs::write(dir.path().join("a.rs"), "fn one() {}").unwrap();
		std::fs::write(dir.path().join("notes.txt"), "skipped").unwrap();
		std::fs::write(dir.path().join("target/built.rs"), "skipped").unwrap();
		let all = sources(dir.path(), "rs", 1 << 20).unwrap();
		assert_eq!(all, b"fn one() {}\nfn two() {}\n");
		assert_eq!(sources(dir.path(), "rs", 5).unwrap(), b"fn on");
	}
}
