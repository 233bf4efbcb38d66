//! `neuron bench serve`, `neuron bench train` and `neuron bench chain`.

use super::Context;
use crate::{
	chain::load::{self, LoadArgs, LoadReport},
	cli::BenchCommand,
	serve::{
		bench::{self, BenchArgs},
		tensor::DType,
	},
	wallet::keypair_from_secret,
};
use anyhow::{bail, Result};

/// Runs a benchmark and prints its report.
pub async fn run(ctx: &Context, command: BenchCommand) -> Result<()> {
	match command {
		BenchCommand::Chain {
			netuid,
			neurons,
			late,
			row,
			spam_unregistered,
			spam_repeats,
			sudo,
			in_flight,
			node_pid,
			mechanism,
			json,
		} => {
			let args = LoadArgs {
				netuid,
				neurons,
				late,
				row,
				spam_unregistered,
				spam_repeats,
				sudo: keypair_from_secret(&sudo)?,
				in_flight,
				node_pid,
				mechanism: match mechanism {
					crate::cli::MechanismArg::Paper => crate::chain::metagraph::Mechanism::Paper,
					crate::cli::MechanismArg::Clipped => {
						crate::chain::metagraph::Mechanism::Clipped
					},
				},
			};
			let chain = ctx.chain().await?;
			let report = load::run(&chain, &args, |what| eprintln!("bench chain: {what}")).await?;
			if json {
				println!("{}", serde_json::to_string(&report)?);
			} else {
				print_chain_report(&report);
			}
			Ok(())
		},
		BenchCommand::Serve { shape, wire_dtype, concurrency, seconds, http2, json } => {
			if concurrency == 0 {
				bail!("--concurrency must be at least 1");
			}
			if !(seconds.is_finite() && seconds > 0.0) {
				bail!("--seconds must be a positive number");
			}
			let wire_dtype = DType::parse_float(&wire_dtype)
				.map_err(|e| anyhow::anyhow!("--wire-dtype: {e}"))?;
			let args = BenchArgs {
				shape: bench::parse_shape(&shape)?,
				concurrency,
				seconds,
				http2,
				wire_dtype,
			};
			let report = bench::run(&args).await?;
			if json {
				println!("{}", serde_json::to_string(&report)?);
			} else {
				println!(
					"shape {:?}, {} answers ({} + {} bytes a call), {} in flight, {}: {} requests, {} \
					 failures, {:.0} req/s, {:.1} MB/s of tensors, p50 {:.3} ms, p99 {:.3} ms",
					report.shape,
					report.wire_dtype,
					report.request_bytes,
					report.answer_bytes,
					report.concurrency,
					if http2 { "HTTP/2" } else { "HTTP/1.1" },
					report.requests,
					report.failures,
					report.req_per_s,
					report.tensor_mb_per_s,
					report.p50_ms,
					report.p99_ms
				);
			}
			Ok(())
		},
		// Training needs libtorch, which only the learner binary links.
		BenchCommand::Train { .. } | BenchCommand::Collab(_) => match crate::handoff::exec()? {},
	}
}

/// The chain benchmark for people.
fn print_chain_report(r: &LoadReport) {
	println!(
		"subnet {}: {} hotkeys registered in {:.1} s",
		r.netuid, r.registered, r.registration_seconds
	);
	for (name, wave) in [("load", &r.load), ("spam", &r.spam)] {
		println!(
			"{name}: {} honest {}-entry set_weights sent ({} accepted) in {:.1} s, {} included \
			 over {} blocks in {:.1} s, most in one block {}, missed slots {}",
			wave.honest_sent,
			r.row,
			wave.honest_accepted,
			wave.submit_seconds,
			wave.honest_included,
			wave.blocks.len(),
			wave.seconds,
			wave.most_in_one_block,
			wave.missed_slots
		);
		if wave.unregistered_sent + wave.repeats_sent > 0 {
			println!(
				"  spam: {}/{} unregistered and {}/{} repeats refused by the pool, {} in blocks",
				wave.unregistered_refused,
				wave.unregistered_sent,
				wave.repeats_refused,
				wave.repeats_sent,
				wave.spam_included
			);
		}
		for (reason, count) in &wave.refusals {
			println!("  {count} × {reason}");
		}
		for b in &wave.blocks {
			println!(
				"  block {}: {} set_weights, {} extrinsics, {} ms after the previous",
				b.number, b.weights_set, b.extrinsics, b.interval_ms
			);
		}
	}
	if let Some(e) = &r.epoch {
		println!(
			"{} epoch of {} neurons × {} weights in block {}: {} ms after the previous block, {} \
			 ms before the next, missed slots {}",
			e.mechanism,
			e.neurons,
			e.weight_entries,
			e.block,
			e.interval_before_ms,
			e.interval_after_ms,
			e.missed_slots
		);
	}
	println!(
		"metagraph: {:.1} ms ({} bytes); all rows: {:.1} ms in {} pages ({} bytes)",
		r.read.metagraph_ms,
		r.read.metagraph_bytes,
		r.read.rows_ms,
		r.read.pages,
		r.read.rows_bytes
	);
	if let Some(n) = &r.node {
		println!(
			"node: {:.1} CPU s during the waves ({:.2} cores), RSS {:.0} MB, peak {:.0} MB",
			n.cpu_seconds, n.cpu_cores, n.rss_mb, n.peak_rss_mb
		);
	}
}
