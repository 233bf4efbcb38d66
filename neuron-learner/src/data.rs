//! Training text: a file or a folder of files (`--data`), one shard of it (`--shard i/n`), or,
//! with no data, a corpus generated deterministically so a fresh offline machine can train.

use anyhow::{bail, Context, Result};
use std::path::Path;
use tch::Tensor;

/// Bytes to learn from, split into a training part and a held-out part.
pub struct Corpus {
	train: Vec<u8>,
	held_out: Vec<u8>,
	state: u64,
}

/// `i/n`: the i-th of n equal parts (0-based).
pub fn parse_shard(text: &str) -> Result<(usize, usize)> {
	let parsed = text.split_once('/').and_then(|(i, n)| {
		Some((i.trim().parse::<usize>().ok()?, n.trim().parse::<usize>().ok()?))
	});
	match parsed {
		Some((i, n)) if n > 0 && i < n => Ok((i, n)),
		_ => bail!("--shard `{text}`: expected i/n with 0 ≤ i < n, e.g. 0/3"),
	}
}

impl Corpus {
	/// The text at `path` (a file, or every file in a folder in name order).
	pub fn load(path: &Path) -> Result<Vec<u8>> {
		let meta = std::fs::metadata(path).with_context(|| format!("--data {}", path.display()))?;
		if meta.is_file() {
			return std::fs::read(path).with_context(|| format!("reading {}", path.display()));
		}
		let mut files: Vec<_> = std::fs::read_dir(path)
			.with_context(|| format!("listing {}", path.display()))?
			.filter_map(|e| e.ok().map(|e| e.path()))
			.filter(|p| p.is_file())
			.collect();
		files.sort();
		let mut out = Vec::new();
		for file in files {
			out.extend(
				std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
			);
			out.push(b'\n');
		}
		Ok(out)
	}

	/// A generated English-like corpus of `len` bytes: the same bytes on every machine.
	pub fn generated(len: usize) -> Vec<u8> {
		const WORDS: [&str; 32] = [
			"the",
			"market",
			"neuron",
			"learns",
			"from",
			"its",
			"peers",
			"and",
			"serves",
			"a",
			"model",
			"to",
			"every",
			"caller",
			"who",
			"pays",
			"with",
			"stake",
			"weights",
			"rank",
			"trust",
			"consensus",
			"block",
			"chain",
			"signal",
			"noise",
			"value",
			"text",
			"byte",
			"loss",
			"falls",
			"when",
		];
		let mut state = 0x2545_f491_4f6c_dd1du64;
		let mut next = || {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state
		};
		let mut out = Vec::with_capacity(len + 16);
		while out.len() < len {
			let words = 4 + next() % 8;
			for w in 0..words {
				let word = WORDS[(next() % WORDS.len() as u64) as usize];
				if w == 0 {
					out.push(word.as_bytes()[0].to_ascii_uppercase());
					out.extend_from_slice(&word.as_bytes()[1..]);
				} else {
					out.push(b' ');
					out.extend_from_slice(word.as_bytes());
				}
			}
			out.extend_from_slice(b".\n");
		}
		out.truncate(len);
		out
	}

	/// Shard `(i, n)` of `bytes`; its last tenth is held out for evaluation.
	pub fn new(bytes: &[u8], shard: (usize, usize), seed: u64) -> Result<Self> {
		let (i, n) = shard;
		let part = bytes.len() / n;
		let mine = &bytes[i * part..(i + 1) * part];
		if mine.len() < 1024 {
			bail!("shard {i}/{n} holds {} bytes; at least 1024 are needed", mine.len());
		}
		let split = mine.len() * 9 / 10;
		Ok(Self {
			train: mine[..split].to_vec(),
			held_out: mine[split..].to_vec(),
			state: seed | 1,
		})
	}

	fn next(&mut self) -> u64 {
		self.state ^= self.state << 13;
		self.state ^= self.state >> 7;
		self.state ^= self.state << 17;
		self.state
	}

	/// A random training batch: inputs and next-byte targets, both `[batch, seq]` i64.
	pub fn batch(&mut self, batch: usize, seq: usize) -> (Tensor, Tensor) {
		let starts: Vec<usize> =
			(0..batch).map(|_| (self.next() as usize) % (self.train.len() - seq - 1)).collect();
		window(&self.train, &starts, seq)
	}

	/// A fixed held-out batch (the same every call), for measuring progress.
	pub fn held_out(&self, batch: usize, seq: usize) -> (Tensor, Tensor) {
		evaluation_windows(&self.held_out, batch, seq)
	}
}

/// `batch` windows of `seq` bytes spread evenly over `bytes` (and their next-byte targets):
/// the same held-out batch every time.
pub fn evaluation_windows(bytes: &[u8], batch: usize, seq: usize) -> (Tensor, Tensor) {
	let span = bytes.len().saturating_sub(seq + 1).max(1);
	let starts: Vec<usize> = (0..batch).map(|k| k * span / batch.max(1)).collect();
	window(bytes, &starts, seq)
}

fn window(bytes: &[u8], starts: &[usize], seq: usize) -> (Tensor, Tensor) {
	let mut inputs = Vec::with_capacity(starts.len() * seq);
	let mut targets = Vec::with_capacity(starts.len() * seq);
	for &s in starts {
		let s = s.min(bytes.len().saturating_sub(seq + 1));
		inputs.extend(bytes[s..s + seq].iter().map(|&b| b as i64));
		targets.extend(bytes[s + 1..s + seq + 1].iter().map(|&b| b as i64));
	}
	let shape = [starts.len() as i64, seq as i64];
	(Tensor::from_slice(&inputs).view(shape), Tensor::from_slice(&targets).view(shape))
}
