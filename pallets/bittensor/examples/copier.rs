//! What a weight copier earns, on the pallet's own epoch function: servers whose quality
//! changes over time, honest validators that weight them by what they measure now, and a
//! copier of equal stake that copies validator 0's latest row it can read on chain.
//!
//! Prints a table of the copier's dividends per unit of stake as a fraction of the honest
//! validator's, for both mechanisms with commit-reveal off and at periods 1 and 2. `--svg FILE`
//! also draws that fraction against how fast the best server changes (`--rotate-every` from 1
//! to 12 epochs) for the six cases.

use clap::Parser;
use pallet_bittensor::{
	simulation::{run_copier, CopierConfig, QualityPattern},
	Mechanism,
};

/// A weight copier against honest validators in a market whose best server moves.
#[derive(Parser, Debug)]
#[command(name = "copier", about)]
struct Args {
	/// Epochs measured (after as many again to warm the bonds up).
	#[arg(long, default_value_t = 120)]
	epochs: u32,
	/// Servers rated by the validators.
	#[arg(long, default_value_t = 4)]
	servers: u16,
	/// Honest validators (the copier copies the first).
	#[arg(long, default_value_t = 3)]
	validators: u16,
	/// Epochs each server stays the best (step) or between two servers' peaks (wave).
	#[arg(long, default_value_t = 3)]
	rotate_every: u32,
	/// How quality moves: `step` (one best server at a time, the others at --floor) or
	/// `wave` (every server rises and falls smoothly between --floor and 1).
	#[arg(long, value_parser = ["step", "wave"], default_value = "step")]
	pattern: String,
	/// Quality of a server at its worst, in [0, 1).
	#[arg(long, default_value_t = 0.25)]
	floor: f64,
	/// Relative noise of each honest measurement, in [0, 1).
	#[arg(long, default_value_t = 0.1)]
	noise: f64,
	/// Bonds moving average m in [0, 1).
	#[arg(long, default_value_t = 0.9)]
	bonds_moving_average: f64,
	/// Emission per epoch as a fraction of total stake.
	#[arg(long, default_value_t = 0.01)]
	tau: f64,
	/// Also draw the copier's fraction against --rotate-every (1 to 12) into FILE, as SVG.
	#[arg(long)]
	svg: Option<std::path::PathBuf>,
}

const CASES: [(Mechanism, &str, &str); 2] =
	[(Mechanism::Paper, "Paper", "#d33"), (Mechanism::Clipped, "Clipped", "#1f6feb")];
const PERIODS: [u16; 3] = [0, 1, 2];

fn ratio(config: &CopierConfig) -> f64 {
	match run_copier(config) {
		Ok(report) => report.ratio(),
		Err(message) => {
			eprintln!("copier: {message}");
			std::process::exit(2);
		},
	}
}

/// The copier's fraction against `rotate_every`, one line per mechanism and period.
fn svg(base: &CopierConfig) -> String {
	let (w, h, left, bottom, top, right) = (640.0, 420.0, 60.0, 50.0, 40.0, 20.0);
	let max_x = 12.0;
	let x = |v: f64| left + (v - 1.0) / (max_x - 1.0) * (w - left - right);
	let y = |v: f64| top + (1.2 - v) / 1.2 * (h - top - bottom);
	let mut out = format!(
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} \
		 {h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" \
		 fill=\"white\"/>\n<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">A \
		 copier's dividends per stake, as a fraction of the validator it copies</text>\n",
		w / 2.0
	);
	for i in 0..=6 {
		let v = f64::from(i) * 0.2;
		out += &format!(
			"<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e5e5e5\"/>\n<text \
			 x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>\n",
			x(1.0),
			y(v),
			x(max_x),
			y(v),
			x(1.0) - 6.0,
			y(v) + 4.0
		);
	}
	for r in 1..=12 {
		let v = f64::from(r);
		out += &format!(
			"<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{r}</text>\n",
			x(v),
			y(0.0) + 18.0
		);
	}
	out += &format!(
		"<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#393\" \
		 stroke-dasharray=\"2,3\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#393\">0.75: the \
		 goal with commit-reveal on</text>\n",
		x(1.0),
		y(0.75),
		x(max_x),
		y(0.75),
		x(max_x) - 220.0,
		y(0.75) - 6.0
	);
	let mut k = 0;
	for (mechanism, name, colour) in CASES {
		for period in PERIODS {
			let points: Vec<String> = (1..=12u32)
				.map(|r| {
					let config = CopierConfig {
						mechanism,
						commit_reveal_period: period,
						rotate_every: r,
						..base.clone()
					};
					format!("{:.1},{:.1}", x(f64::from(r)), y(ratio(&config).clamp(0.0, 1.2)))
				})
				.collect();
			let dash = match period {
				0 => "",
				1 => " stroke-dasharray=\"8,4\"",
				_ => " stroke-dasharray=\"2,3\"",
			};
			let label = if period == 0 {
				format!("{name}, commit-reveal off")
			} else {
				format!("{name}, period {period}")
			};
			out += &format!(
				"<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" \
				 stroke-width=\"2.5\"{dash}/>\n",
				points.join(" ")
			);
			let (lx, ly) = (x(6.5), y(0.42) + 16.0 * f64::from(k));
			out += &format!(
				"<line x1=\"{lx:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" \
				 stroke-width=\"2.5\"{dash}/>\n<text x=\"{:.1}\" y=\"{ly:.1}\">{label}</text>\n",
				ly - 4.0,
				lx + 24.0,
				ly - 4.0,
				lx + 30.0
			);
			k += 1;
		}
	}
	out += &format!(
		"<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">epochs the best server stays the best \
		 (--rotate-every)</text>\n<text transform=\"translate(16 {:.1}) \
		 rotate(-90)\" text-anchor=\"middle\">copier / honest</text>\n</svg>\n",
		x(6.5),
		h - 10.0,
		y(0.6)
	);
	out
}

fn main() {
	let args = Args::parse();
	let base = CopierConfig {
		epochs: args.epochs,
		servers: args.servers,
		validators: args.validators,
		rotate_every: args.rotate_every,
		pattern: if args.pattern == "wave" { QualityPattern::Wave } else { QualityPattern::Step },
		floor: args.floor,
		noise: args.noise,
		bonds_moving_average: args.bonds_moving_average,
		tau: args.tau,
		..CopierConfig::default()
	};
	println!(
		"copier's dividends per unit of stake / honest validator's ({} servers, {} validators, \
		 {} quality, best server changes every {} epochs, floor {}, noise {}, m {}, {} epochs)",
		base.servers,
		base.validators,
		args.pattern,
		base.rotate_every,
		base.floor,
		base.noise,
		base.bonds_moving_average,
		base.epochs
	);
	println!("{:<10} {:>8} {:>10} {:>10}", "mechanism", "off", "period 1", "period 2");
	for (mechanism, name, _) in CASES {
		let cells: Vec<String> = PERIODS
			.iter()
			.map(|&period| {
				let config =
					CopierConfig { mechanism, commit_reveal_period: period, ..base.clone() };
				format!("{:.3}", ratio(&config))
			})
			.collect();
		println!("{name:<10} {:>8} {:>10} {:>10}", cells[0], cells[1], cells[2]);
	}
	if let Some(path) = &args.svg {
		if let Err(e) = std::fs::write(path, svg(&base)) {
			eprintln!("copier: writing {}: {e}", path.display());
			std::process::exit(1);
		}
	}
}
