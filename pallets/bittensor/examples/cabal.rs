//! The paper's collusion experiment on the pallet's own epoch functions, under either
//! mechanism and with honest neurons that give the cabal a small weight, as learning neurons do.
//!
//! Prints `<block> <cabal share of total stake after that block>` for each block, nothing
//! else on stdout. With `--sweep`, runs the experiment for every initial cabal stake from 0.05
//! to 0.95 instead and prints `<initial share> <share after --blocks blocks>`; `--svg FILE`
//! draws, on one chart, that sweep for `Paper` and `Clipped` at honest weights 0 and 0.01 (the
//! paper's hole and its fix). See `--help` for the knobs.

use clap::Parser;
use pallet_bittensor::{
	simulation::{run_cabal, CabalConfig},
	Mechanism,
};

/// An honest group A and a cabal B, each voting only for itself; one epoch per block, each
/// block's emission τ × total stake minted onto stake.
#[derive(Parser, Debug)]
#[command(name = "cabal", about)]
struct Args {
	/// Blocks (epochs) to simulate.
	#[arg(long, default_value_t = 100)]
	blocks: u32,
	/// Initial stake of the honest group A.
	#[arg(long, default_value_t = 0.51)]
	stake_a: f64,
	/// Initial stake of the cabal B.
	#[arg(long, default_value_t = 0.49)]
	stake_b: f64,
	/// Emission per block as a fraction of total stake.
	#[arg(long, default_value_t = 0.1)]
	tau: f64,
	/// Steepness ρ of the consensus sigmoid.
	#[arg(long, default_value_t = 10.0)]
	rho: f64,
	/// Trust midpoint κ of the consensus sigmoid.
	#[arg(long, default_value_t = 0.5)]
	kappa: f64,
	/// Neurons in group A (fully connected inside the group).
	#[arg(long, default_value_t = 1)]
	peers_a: u16,
	/// Neurons in group B (fully connected inside the group).
	#[arg(long, default_value_t = 1)]
	peers_b: u16,
	/// Bonds moving average m in [0, 1).
	#[arg(long, default_value_t = 0.0)]
	bonds_moving_average: f64,
	/// The epoch's mechanism: `paper` or `clipped`.
	#[arg(long, value_parser = ["paper", "clipped"], default_value = "paper")]
	mechanism: String,
	/// The fraction of each honest row given to each cabal member (the rest is shared among
	/// the other honest neurons).
	#[arg(long, default_value_t = 0.0)]
	honest_weight: f64,
	/// Sweep the cabal's initial stake from 0.05 to 0.95 (in steps of 0.01; --stake-a and
	/// --stake-b are ignored) and print its share after --blocks blocks for each.
	#[arg(long)]
	sweep: bool,
	/// With --sweep: also draw the sweep for Paper and Clipped at honest weights 0 and 0.01
	/// as an SVG picture into FILE.
	#[arg(long, requires = "sweep")]
	svg: Option<std::path::PathBuf>,
}

/// One swept curve of the chart.
struct Series {
	label: String,
	colour: &'static str,
	dashed: bool,
	points: Vec<(f64, f64)>,
}

/// The sweeps as an SVG line chart: final share against initial share, the diagonal (no
/// change) dashed, the one-half line marked, and a legend.
fn svg(series: &[Series], blocks: u32) -> String {
	let (w, h, left, bottom, top, right) = (640.0, 420.0, 60.0, 50.0, 40.0, 20.0);
	let x = |v: f64| left + v * (w - left - right);
	let y = |v: f64| top + (1.0 - v) * (h - top - bottom);
	let mut out = format!(
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
		 font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
	);
	out += &format!(
		"<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">Cabal's share of stake after {blocks} \
		 epochs</text>\n",
		w / 2.0
	);
	for i in 0..=10 {
		let v = f64::from(i) / 10.0;
		out += &format!(
			"<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e5e5e5\"/>\n\
			 <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e5e5e5\"/>\n\
			 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:.1}</text>\n\
			 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>\n",
			x(v),
			y(0.0),
			x(v),
			y(1.0),
			x(0.0),
			y(v),
			x(1.0),
			y(v),
			x(v),
			y(0.0) + 18.0,
			x(0.0) - 6.0,
			y(v) + 4.0,
		);
	}
	out += &format!(
		"<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"5,4\"/>\n\
		 <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d33\" stroke-dasharray=\"2,3\"/>\n\
		 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#d33\">one half</text>\n",
		x(0.0), y(0.0), x(1.0), y(1.0),
		x(0.5), y(0.0), x(0.5), y(1.0),
		x(0.5) + 4.0, y(1.0) + 12.0,
	);
	for (k, line) in series.iter().enumerate() {
		let path: Vec<String> =
			line.points.iter().map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(*b))).collect();
		let dash = if line.dashed { " stroke-dasharray=\"7,4\"" } else { "" };
		out += &format!(
			"<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"{dash}/>\n",
			path.join(" "),
			line.colour
		);
		let (lx, ly) = (x(0.04), y(0.96) + 16.0 * k as f64);
		out += &format!(
			"<line x1=\"{lx:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"2.5\"{dash}/>\n\
			 <text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
			ly - 4.0,
			lx + 24.0,
			ly - 4.0,
			line.colour,
			lx + 30.0,
			ly,
			line.label
		);
	}
	out += &format!(
		"<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">cabal's initial share of stake</text>\n\
		 <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">share after {blocks} epochs</text>\n</svg>\n",
		x(0.5),
		h - 10.0,
		y(0.5),
	);
	out
}

/// The cabal's share after the run for every initial share from 0.05 to 0.95.
fn sweep(config: &CabalConfig) -> Vec<(f64, f64)> {
	let mut points = Vec::new();
	for percent in 5..=95u32 {
		let cabal = f64::from(percent) / 100.0;
		let swept = CabalConfig { stake_a: 1.0 - cabal, stake_b: cabal, ..config.clone() };
		match run_cabal(&swept) {
			Ok(shares) => points.push((cabal, shares.last().copied().unwrap_or(cabal))),
			Err(message) => {
				eprintln!("cabal: {message}");
				std::process::exit(2);
			},
		}
	}
	points
}

fn main() {
	let args = Args::parse();
	let mechanism = if args.mechanism == "clipped" { Mechanism::Clipped } else { Mechanism::Paper };
	let config = CabalConfig {
		blocks: args.blocks,
		stake_a: args.stake_a,
		stake_b: args.stake_b,
		tau: args.tau,
		rho: args.rho,
		kappa: args.kappa,
		peers_a: args.peers_a,
		peers_b: args.peers_b,
		bonds_moving_average: args.bonds_moving_average,
		mechanism,
		honest_weight: args.honest_weight,
	};
	if args.sweep {
		for (cabal, last) in sweep(&config) {
			println!("{cabal:.2} {last:.6}");
		}
		if let Some(path) = &args.svg {
			let mut series = Vec::new();
			for (mechanism, name, colour) in
				[(Mechanism::Paper, "Paper", "#d33"), (Mechanism::Clipped, "Clipped", "#1f6feb")]
			{
				for (honest_weight, dashed) in [(0.0, false), (0.01, true)] {
					let config = CabalConfig { mechanism, honest_weight, ..config.clone() };
					series.push(Series {
						label: format!("{name}, honest weight {honest_weight}"),
						colour,
						dashed,
						points: sweep(&config),
					});
				}
			}
			if let Err(e) = std::fs::write(path, svg(&series, args.blocks)) {
				eprintln!("cabal: writing {}: {e}", path.display());
				std::process::exit(1);
			}
		}
		return;
	}
	match run_cabal(&config) {
		Ok(shares) => {
			for (block, share) in shares.iter().enumerate() {
				// Plain decimal notation with at least 16 significant digits at any magnitude.
				let magnitude = if *share > 0.0 { share.log10().floor() as i32 } else { 0 };
				let decimals = (15 - magnitude).clamp(15, 330) as usize;
				println!("{block} {share:.decimals$}");
			}
		},
		Err(message) => {
			eprintln!("cabal: {message}");
			std::process::exit(2);
		},
	}
}
