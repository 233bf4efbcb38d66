//! `neuron`: see `neuron --help`. Learning commands continue in `neuron-learner`
//! ([`neuron_client::handoff`]); everything else runs here, without libtorch.

fn main() -> std::process::ExitCode {
	neuron_client::entry::main(neuron_client::commands::run)
}
