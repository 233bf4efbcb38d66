//! What a command shows while a transaction is on its way: a spinner on standard error when it
//! is a terminal (scripts and logs get no control characters).

use std::{
	io::{IsTerminal, Write},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	thread::JoinHandle,
	time::Duration,
};

/// A running spinner; stops on [`Spinner::stop`] or drop.
pub struct Spinner {
	message: Arc<Mutex<String>>,
	running: Arc<AtomicBool>,
	thread: Option<JoinHandle<()>>,
}

impl Spinner {
	/// Starts spinning next to `message`.
	pub fn start(message: String) -> Self {
		let message = Arc::new(Mutex::new(message));
		let running = Arc::new(AtomicBool::new(true));
		let thread = std::io::stderr().is_terminal().then(|| {
			let (message, running) = (message.clone(), running.clone());
			std::thread::spawn(move || {
				let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
				let mut i = 0;
				while running.load(Ordering::Relaxed) {
					let text = message.lock().map(|m| m.clone()).unwrap_or_default();
					eprint!("\r\x1b[2K{} {text}", frames[i % frames.len()]);
					let _ = std::io::stderr().flush();
					i += 1;
					std::thread::sleep(Duration::from_millis(100));
				}
				eprint!("\r\x1b[2K");
				let _ = std::io::stderr().flush();
			})
		});
		Self { message, running, thread }
	}

	/// Replaces the message.
	pub fn set(&self, message: String) {
		if let Ok(mut current) = self.message.lock() {
			*current = message;
		}
	}

	/// Stops and clears the line.
	pub fn stop(mut self) {
		self.halt();
	}

	fn halt(&mut self) {
		self.running.store(false, Ordering::Relaxed);
		if let Some(thread) = self.thread.take() {
			let _ = thread.join();
		}
	}
}

impl Drop for Spinner {
	fn drop(&mut self) {
		self.halt();
	}
}

/// A spinner that starts when the transaction is submitted, labelled with what it does; the
/// chain layer tells it each stage (see `Context::watch`).
pub struct Shown {
	what: String,
	spinner: Mutex<Option<Spinner>>,
}

impl Shown {
	/// Nothing shown yet.
	pub fn new(what: impl Into<String>) -> Self {
		Self { what: what.into(), spinner: Mutex::new(None) }
	}

	/// Stops the spinner and clears its line, before the command prints its result.
	pub fn finish(self) {
		if let Ok(Some(spinner)) = self.spinner.into_inner() {
			spinner.stop();
		}
	}

	/// Shows `stage` next to what the transaction does.
	pub fn stage(&self, stage: &str) {
		let message = format!("{}: {stage}", self.what);
		if let Ok(mut spinner) = self.spinner.lock() {
			match spinner.as_ref() {
				Some(s) => s.set(message),
				None => *spinner = Some(Spinner::start(message)),
			}
		}
	}
}
