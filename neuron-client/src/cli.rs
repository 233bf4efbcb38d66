//! The `neuron` command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Wallets and every chain operation of the BitTensor market.
///
/// Global flags can also be set with environment variables (shown below) or in a TOML config
/// file (`--config`, default ~/.bittensor/neuron.toml) with keys url, wallet_dir, wallet,
/// hotkey, password_stdin and wait_finalized.
#[derive(Parser, Debug)]
#[command(name = "neuron", version, about, long_about)]
pub struct Cli {
	#[command(flatten)]
	pub global: GlobalArgs,
	#[command(subcommand)]
	pub command: Command,
}

/// Flags every command accepts.
#[derive(Args, Debug)]
pub struct GlobalArgs {
	/// The node's WebSocket endpoint [default: ws://127.0.0.1:9944].
	#[arg(long, global = true, env = "NEURON_URL")]
	pub url: Option<String>,
	/// Folder holding the wallets [default: ~/.bittensor/wallets].
	#[arg(long, global = true, env = "NEURON_WALLET_DIR")]
	pub wallet_dir: Option<PathBuf>,
	/// Wallet name [default: default].
	#[arg(long, global = true, env = "NEURON_WALLET")]
	pub wallet: Option<String>,
	/// Hotkey name in the wallet [default: default]; `stake` also takes an SS58 address.
	#[arg(long, global = true, env = "NEURON_HOTKEY")]
	pub hotkey: Option<String>,
	/// Read the coldkey password from the first line of standard input (for scripts).
	#[arg(long, global = true, env = "NEURON_PASSWORD_STDIN")]
	pub password_stdin: bool,
	/// Wait until transactions are finalized, not just included in a block.
	#[arg(long, global = true, env = "NEURON_WAIT_FINALIZED")]
	pub wait_finalized: bool,
	/// Config file [default: ~/.bittensor/neuron.toml if it exists].
	#[arg(long, global = true, env = "NEURON_CONFIG")]
	pub config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
	/// Create, import and inspect wallets (a coldkey and its hotkeys).
	#[command(subcommand)]
	Wallet(WalletCommand),
	/// List, inspect and create subnets.
	#[command(subcommand)]
	Subnet(Box<SubnetCommand>),
	/// Register the wallet's hotkey in a subnet (the coldkey pays the registration price,
	/// which rises with each registration and decays back toward the subnet's floor).
	Register {
		/// Subnet to join.
		#[arg(long)]
		netuid: u16,
		/// The most to pay, in tokens; the chain refuses (at no cost) a higher price [default:
		/// the price now plus 10%].
		#[arg(long)]
		max_burn: Option<String>,
	},
	/// Announce where the hotkey's neuron serves its model.
	#[command(subcommand)]
	Axon(AxonCommand),
	/// Move balance into stake on a hotkey (the wallet's, or anyone's with --hotkey <ss58>),
	/// back out, or list every position.
	#[command(subcommand)]
	Stake(StakeCommand),
	/// Hotkeys others stake on: list them, or set the take of the wallet's hotkey.
	#[command(subcommand)]
	Delegate(DelegateCommand),
	/// Move the neuron of hotkey --hotkey (its uids, stake pool, nominators, take and pending
	/// commits) to another hotkey of the wallet, e.g. after the old one leaked.
	SwapHotkey {
		/// The wallet's hotkey to move to (never registered before).
		#[arg(long)]
		new_hotkey: String,
	},
	/// Send tokens from the wallet's coldkey.
	Transfer {
		/// Recipient, SS58.
		#[arg(long)]
		dest: String,
		/// Amount in tokens, e.g. 0.5.
		#[arg(long)]
		amount: String,
	},
	/// The coldkey's free balance and the stake on the wallet's hotkeys.
	Balance {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Set the hotkey's weights in a subnet.
	#[command(subcommand)]
	Weights(WeightsCommand),
	/// Every neuron of a subnet, from one `bittensor_getMetagraph` call.
	Metagraph {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
		/// Print a JSON array of objects instead of a table.
		#[arg(long)]
		json: bool,
	},
	/// Run a learning neuron: register if needed, serve the axon, train with peers, set
	/// weights every epoch, until Ctrl-C.
	Run(Box<RunArgs>),
	/// Serve a web page that shows the market as blocks arrive (and the same figures as JSON
	/// under /api/...).
	Explorer {
		/// Port to serve on.
		#[arg(long, default_value_t = 8080)]
		port: u16,
		/// Address to bind.
		#[arg(long, default_value = "127.0.0.1")]
		bind: std::net::IpAddr,
		/// Epochs of stake and emission history kept per subnet.
		#[arg(long, default_value_t = 20)]
		epochs: usize,
		/// A neuron's metrics endpoint (`neuron run --metrics-port`), e.g.
		/// http://127.0.0.1:9100, to chart the held-out loss it reports (repeatable).
		#[arg(long)]
		metrics: Vec<String>,
	},
	/// Measure parts of the neuron on this machine.
	#[command(subcommand)]
	Bench(BenchCommand),
}

/// `neuron run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
	/// Subnet to take part in.
	#[arg(long)]
	pub netuid: u16,
	/// Address peers reach the axon at, recorded on chain with `serve_axon`.
	#[arg(long, default_value = "127.0.0.1")]
	pub axon_ip: std::net::IpAddr,
	/// Port the axon listens on and records on chain.
	#[arg(long, default_value_t = 8091)]
	pub axon_port: u16,
	/// Local address the axon binds to [default: --axon-ip when it is a loopback address (a
	/// market on one machine stays on it), else every interface (0.0.0.0, or :: for IPv6),
	/// since a public address is often the NAT's, not this machine's].
	#[arg(long)]
	pub axon_bind: Option<std::net::IpAddr>,
	/// Serve Prometheus metrics on this port (on --metrics-bind) at /metrics.
	#[arg(long)]
	pub metrics_port: Option<u16>,
	/// Local address the metrics endpoint binds to: this machine only unless you say
	/// otherwise (the counters tell an outsider how the neuron is doing and who refuses it).
	#[arg(long, default_value = "127.0.0.1")]
	pub metrics_bind: std::net::IpAddr,
	/// Train nothing and answer every forward with random tensors of the right shape.
	#[arg(long, conflicts_with = "model")]
	pub serve_noise: bool,
	/// Use this TorchScript file as the encoder instead of the built-in transformer: forward
	/// takes `[batch, seq]` int64 bytes and returns `[batch, seq, --dim]` F32, F16 or BF16,
	/// causally (docs/NEURON.md, "Bringing your own model"). It is held to that contract
	/// before anything is registered or served. Loading a model runs its code: name only
	/// files you trust; a neuron never loads one from a peer.
	#[arg(long, value_name = "FILE")]
	pub model: Option<PathBuf>,
	/// Serve --model unchanged: train only the gate, head, distiller and mixer around it
	/// (callers' gradients are taken and discarded).
	#[arg(long, requires = "model")]
	pub freeze: bool,
	/// Longest a full batch (the axon's largest) of --model may take, in milliseconds; a
	/// slower model is refused at start (peers wait --timeout-ms for the whole call).
	#[arg(long, default_value_t = 1000)]
	pub model_deadline_ms: u64,
	/// The type this neuron's answers travel in: f32, or f16 / bf16 for half the bytes at
	/// their precision (callers convert them back to f32; their gradients come back in it).
	#[arg(long, default_value = "f32", value_name = "f32|f16|bf16")]
	pub wire_dtype: String,
	/// Where the model trains: cpu or cuda.
	#[arg(long, default_value = "cpu")]
	pub device: String,
	/// Folder for checkpoints (parameters, optimiser state, peer scores), resumed on start.
	#[arg(long)]
	pub checkpoint: Option<PathBuf>,
	/// Steps between checkpoints.
	#[arg(long, default_value_t = 200)]
	pub checkpoint_every: u64,
	/// Training text: a file or a folder of files [default: a generated corpus].
	#[arg(long)]
	pub data: Option<PathBuf>,
	/// The part of --data this neuron trains on, `i/n` (0-based).
	#[arg(long, default_value = "0/1")]
	pub shard: String,
	/// Peers queried per batch.
	#[arg(long, default_value_t = 4)]
	pub topk: usize,
	/// The subnet's representation size.
	#[arg(long, default_value_t = 128)]
	pub dim: usize,
	/// Factor on gradients callers push with `backward`.
	#[arg(long, default_value_t = 0.1)]
	pub caller_grad_scale: f64,
	/// Sequences per batch.
	#[arg(long, default_value_t = 16)]
	pub batch: usize,
	/// Bytes per sequence.
	#[arg(long, default_value_t = 64)]
	pub seq_len: usize,
	/// Adam's learning rate.
	#[arg(long, default_value_t = 1e-3)]
	pub learning_rate: f64,
	/// Milliseconds to wait for a peer's answer.
	#[arg(long, default_value_t = 3000)]
	pub timeout_ms: u64,
	/// Least stake (TAO) a caller needs for this neuron's axon to answer it or take its
	/// gradients; callers below it are refused `insufficient_stake` before their body is read.
	/// 0 serves every registered hotkey.
	#[arg(long, default_value = "1", value_name = "TAO")]
	pub min_caller_stake: String,
	/// Blocks between weight updates [default: the subnet's tempo, never below its
	/// weights_rate_limit].
	#[arg(long)]
	pub weights_every: Option<u64>,
	/// Seconds between reads of the subnet's metagraph.
	#[arg(long, default_value_t = 6.0)]
	pub sync_secs: f64,
	/// Steps between held-out measurements (published on the metrics endpoint as
	/// `neuron_held_out_loss`) and progress lines when standard error is not a terminal.
	#[arg(long, default_value_t = 50)]
	pub log_every: u64,
	/// Stop after this many training steps (default: run until Ctrl-C).
	#[arg(long)]
	pub steps: Option<u64>,
	/// Threads libtorch may use [default: libtorch's choice].
	#[arg(long)]
	pub threads: Option<i32>,
}

impl RunArgs {
	/// The address the axon binds to: `--axon-bind`, or its default (see the flag).
	pub fn axon_bind(&self) -> std::net::IpAddr {
		use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
		match (self.axon_bind, self.axon_ip) {
			(Some(bind), _) => bind,
			(None, ip) if ip.is_loopback() => ip,
			(None, IpAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
			(None, IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
		}
	}
}

/// `neuron bench …`.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
	/// An axon with an identity model and a dendrite over loopback TCP, every check on:
	/// requests, failures, req_per_s, tensor_mb_per_s, p50_ms, p99_ms.
	Serve {
		/// Shape of the F32 tensor sent and echoed, `B,T,D`.
		#[arg(long, default_value = "1,16,64")]
		shape: String,
		/// The type answers travel in: f32, f16 or bf16 (reported with bytes per call).
		#[arg(long, default_value = "f32", value_name = "f32|f16|bf16")]
		wire_dtype: String,
		/// Calls in flight.
		#[arg(long, default_value_t = 8)]
		concurrency: usize,
		/// Seconds to measure (after a 0.3 s warm-up).
		#[arg(long, default_value_t = 5.0)]
		seconds: f64,
		/// Use cleartext HTTP/2 instead of HTTP/1.1.
		#[arg(long)]
		http2: bool,
		/// Print one JSON object.
		#[arg(long)]
		json: bool,
	},
	/// Trains the default model on random windows of the generated corpus (no peers):
	/// steps_per_s, tokens_per_s, params.
	Train {
		/// Training steps to time (after 3 warm-up steps).
		#[arg(long, default_value_t = 100)]
		steps: u64,
		/// Sequences per batch.
		#[arg(long, default_value_t = 16)]
		batch: usize,
		/// Bytes per sequence.
		#[arg(long, default_value_t = 64)]
		seq_len: usize,
		/// Representation size.
		#[arg(long, default_value_t = 128)]
		dim: usize,
		/// Train this TorchScript encoder (`neuron run --model`) instead of the built-in one.
		#[arg(long, value_name = "FILE")]
		model: Option<PathBuf>,
		/// Time serving (the encoder's forward in eval mode, as the axon runs it) instead of
		/// training: forwards per second at --batch × --seq-len.
		#[arg(long)]
		forward: bool,
		/// cpu or cuda.
		#[arg(long, default_value = "cpu")]
		device: String,
		/// Threads libtorch may use [default: libtorch's choice].
		#[arg(long)]
		threads: Option<i32>,
		/// Print one JSON object.
		#[arg(long)]
		json: bool,
	},
	/// Whether peers make a better model: real neurons on loopback (real axons, dendrites and
	/// signatures; no chain) as a newcomer joining trained peers, as specialists of different
	/// texts, and at equal compute; held-out loss with peers and alone.
	Collab(Box<CollabArgs>),
	/// The chain under load, against the node at --url (a dev chain: it needs the sudo key):
	/// registers `--neurons + --late` hotkeys in subnet --netuid, sends every load neuron's
	/// 256-entry `set_weights` at once, then spam (unregistered senders, rate-limited repeats)
	/// with the late neurons' rows; then the full subnet's epoch and metagraph. Reports rows
	/// per block, blocks until all are in, block times, missed slots, refusals and the node's
	/// CPU and memory.
	Chain {
		/// Subnet to fill: created, or its hyperparameters reset.
		#[arg(long, default_value_t = 2)]
		netuid: u16,
		/// Neurons whose rows are sent all at once.
		#[arg(long, default_value_t = 3584)]
		neurons: u16,
		/// Neurons whose rows are sent together with the spam.
		#[arg(long, default_value_t = 512)]
		late: u16,
		/// Entries per weight row.
		#[arg(long, default_value_t = 256)]
		row: u16,
		/// `set_weights` from never-registered accounts.
		#[arg(long, default_value_t = 5000)]
		spam_unregistered: u32,
		/// Rate-limited repeats from registered hotkeys.
		#[arg(long, default_value_t = 5000)]
		spam_repeats: u32,
		/// Secret URI of the chain's sudo key, which also pays the registrations.
		#[arg(long, default_value = "//Alice")]
		sudo: String,
		/// Submissions in flight at once.
		#[arg(long, default_value_t = 256)]
		in_flight: usize,
		/// The subnet's epoch mechanism.
		#[arg(long, value_enum, default_value = "clipped")]
		mechanism: MechanismArg,
		/// The node's process id, to report its CPU time and memory (same machine).
		#[arg(long)]
		node_pid: Option<u32>,
		/// Print one JSON object.
		#[arg(long)]
		json: bool,
	},
}

/// `neuron bench collab`.
#[derive(Args, Debug, Clone)]
pub struct CollabArgs {
	/// Peers (K): the newcomer joins K trained peers; specialists and equal compute run K + 1
	/// neurons.
	#[arg(long, default_value_t = 3)]
	pub peers: usize,
	/// Training steps of the neurons measured (N).
	#[arg(long, default_value_t = 300)]
	pub steps: u64,
	/// Steps each peer trains alone before the newcomer joins [default: 4 × --steps].
	#[arg(long)]
	pub peer_steps: Option<u64>,
	/// The newcomer's peers run this TorchScript encoder (`neuron run --model`; e.g. another
	/// architecture from scripts/export-model.py), trained on their shards, instead of the
	/// built-in one; the newcomer keeps the built-in encoder.
	#[arg(long, value_name = "FILE")]
	pub peer_model: Option<PathBuf>,
	/// Which parts to run (repeatable) [default: all].
	#[arg(long, value_enum)]
	pub part: Vec<CollabPart>,
	/// Sequences per batch.
	#[arg(long, default_value_t = 16)]
	pub batch: usize,
	/// Bytes per sequence.
	#[arg(long, default_value_t = 64)]
	pub seq_len: usize,
	/// Representation size.
	#[arg(long, default_value_t = 64)]
	pub dim: usize,
	/// Transformer blocks per neuron.
	#[arg(long, default_value_t = 2)]
	pub layers: i64,
	/// Steps between held-out evaluations.
	#[arg(long, default_value_t = 20)]
	pub eval_every: u64,
	/// Held-out sequences per evaluation.
	#[arg(long, default_value_t = 64)]
	pub eval_batch: usize,
	/// Adam's learning rate.
	#[arg(long, default_value_t = 3e-3)]
	pub learning_rate: f64,
	/// cpu or cuda.
	#[arg(long, default_value = "cpu")]
	pub device: String,
	/// Threads libtorch may use [default: libtorch's choice].
	#[arg(long)]
	pub threads: Option<i32>,
	/// Seed of initial weights and batches.
	#[arg(long, default_value_t = 1)]
	pub seed: u64,
	/// The Shakespeare text [default: ../shared/data/tinyshakespeare.txt].
	#[arg(long)]
	pub shakespeare: Option<PathBuf>,
	/// A folder of Rust source [default: this workspace].
	#[arg(long)]
	pub rust: Option<PathBuf>,
	/// A folder of Python source [default: python3's standard library].
	#[arg(long)]
	pub python: Option<PathBuf>,
	/// Draw held-out loss against steps for each part to this SVG file.
	#[arg(long)]
	pub svg: Option<PathBuf>,
	/// Print one JSON object.
	#[arg(long)]
	pub json: bool,
}

/// A part of `neuron bench collab`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollabPart {
	/// A fresh neuron joins K trained peers.
	Newcomer,
	/// K + 1 neurons, each trained on its own domain.
	Specialists,
	/// K + 1 neurons train from scratch at the same time.
	EqualCompute,
}

/// Which key `wallet regen` restores.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
	/// The wallet's coldkey (encrypted with a password).
	Coldkey,
	/// The hotkey named by --hotkey.
	Hotkey,
}

#[derive(Subcommand, Debug)]
pub enum WalletCommand {
	/// Create a wallet's coldkey and hotkey from fresh mnemonics (only the missing ones).
	Create,
	/// Restore a key from a mnemonic or secret URI (read from standard input when neither
	/// --mnemonic nor --uri is given).
	Regen {
		/// BIP39 mnemonic phrase.
		#[arg(long, conflicts_with = "uri")]
		mnemonic: Option<String>,
		/// Secret URI, e.g. //Alice for a dev account.
		#[arg(long)]
		uri: Option<String>,
		/// Which key to restore.
		#[arg(long, value_enum, default_value = "coldkey")]
		key: KeyKind,
		/// Replace an existing key file.
		#[arg(long)]
		overwrite: bool,
	},
	/// Re-encrypt the coldkey with a new password (asks the current one first; with
	/// --password-stdin, the current and the new password are the first two lines).
	ChangePassword,
	/// List the wallets and their addresses.
	List {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Show a wallet's addresses and balance.
	Show {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
}

#[derive(Subcommand, Debug)]
pub enum SubnetCommand {
	/// Every subnet and its size.
	List {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// A subnet's hyperparameters.
	Show {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Open a subnet: any coldkey, for a lock returned when it dissolves the subnet (the chain
	/// picks the netuid; the subnet mints nothing until root sets its emission). With
	/// --netuid, root creates it through sudo (the coldkey must be the chain's sudo key).
	Create {
		/// Netuid of the new subnet (root only).
		#[arg(long)]
		netuid: Option<u16>,
		/// The most to lock, in tokens [default: the lock cost now].
		#[arg(long)]
		max_lock_cost: Option<String>,
		#[command(flatten)]
		hyperparameters: HyperparameterArgs,
	},
	/// Change a subnet's hyperparameters, as its owner or through sudo; flags not given keep
	/// their value.
	Set {
		/// Subnet to change.
		#[arg(long)]
		netuid: u16,
		#[command(flatten)]
		hyperparameters: HyperparameterArgs,
	},
	/// What registering in a subnet costs now.
	BurnCost {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// What opening a subnet locks now.
	CreateCost {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Dissolve a subnet the wallet's coldkey opened; its lock comes back.
	Dissolve {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
	},
}

#[derive(Subcommand, Debug)]
pub enum DelegateCommand {
	/// Every registered hotkey with its take, stake and nominators.
	List {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Set the take the wallet's hotkey (--hotkey) keeps of its nominators' dividends.
	Take {
		/// Percent, e.g. 18 or 9.5.
		#[arg(long)]
		percent: String,
	},
}

/// Hyperparameters; fractions are decimals from 0 to 1 and balances are in tokens. A flag left
/// out takes the default shown (`subnet create`) or keeps the current value (`subnet set`).
#[derive(Args, Debug, Default)]
pub struct HyperparameterArgs {
	/// Blocks per epoch [create default: 100].
	#[arg(long)]
	pub tempo: Option<u16>,
	/// Consensus sigmoid steepness ρ [create default: 10].
	#[arg(long)]
	pub rho: Option<u16>,
	/// Consensus sigmoid midpoint κ [create default: 0.5].
	#[arg(long)]
	pub kappa: Option<String>,
	/// Tokens minted per block [create default: 1].
	#[arg(long)]
	pub emission_per_block: Option<String>,
	/// Most neurons [create default: 4096].
	#[arg(long)]
	pub max_uids: Option<u16>,
	/// Fewest weights per row [create default: 1].
	#[arg(long)]
	pub min_allowed_weights: Option<u16>,
	/// Largest share of a row one uid may get [create default: 1].
	#[arg(long)]
	pub max_weight_limit: Option<String>,
	/// Blocks between two weight updates of a neuron [create default: 0].
	#[arg(long)]
	pub weights_rate_limit: Option<u32>,
	/// Blocks after which a neuron without weight updates stops counting [create default:
	/// 5000].
	#[arg(long)]
	pub activity_cutoff: Option<u32>,
	/// Blocks a new neuron cannot be replaced [create default: 100].
	#[arg(long)]
	pub immunity_period: Option<u32>,
	/// Tokens burned to register [create default: 0.1].
	#[arg(long)]
	pub registration_burn: Option<String>,
	/// Weight of the old bonds in the bonds moving average [create default: 0.9].
	#[arg(long)]
	pub bonds_moving_average: Option<String>,
	/// Stake (tokens) a hotkey needs to set weights [create default: 0].
	#[arg(long)]
	pub min_stake_to_set_weights: Option<String>,
	/// Lowest weights version key accepted [create default: 0].
	#[arg(long)]
	pub weights_version_key: Option<u64>,
	/// How the epoch turns weights into incentive: `clipped` (consensus clipping) or `paper`
	/// (the paper's sigmoid of trust) [create default: clipped].
	#[arg(long, value_enum)]
	pub mechanism: Option<MechanismArg>,
	/// Epochs between committing a weight row and revealing it; 0 turns commit-reveal off
	/// (weights are set directly), at most 3 [create default: 0].
	#[arg(long)]
	pub commit_reveal_period: Option<u16>,
	/// The highest registration price, in tokens; the floor is --registration-burn [create
	/// default: 10].
	#[arg(long)]
	pub max_burn: Option<String>,
	/// How much each registration raises the price, a fraction (0.26 = ×1.26) [create
	/// default: 0.26].
	#[arg(long)]
	pub burn_increase: Option<String>,
	/// Blocks for the price's excess over its floor to halve [create default: 300].
	#[arg(long)]
	pub burn_half_life: Option<u32>,
	/// Below this many neurons past immunity, a full subnet replaces immune ones too [create
	/// default: 1].
	#[arg(long)]
	pub min_non_immune_uids: Option<u16>,
}

/// `--mechanism`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MechanismArg {
	/// The paper's: consensus is a sigmoid of the stake giving any positive weight.
	Paper,
	/// Consensus clipping: each weight capped at what the stake majority of the others gives.
	Clipped,
}

#[derive(Subcommand, Debug)]
pub enum AxonCommand {
	/// Announce the axon's IP and port.
	Serve {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
		/// Public IP address (IPv4 or IPv6).
		#[arg(long)]
		ip: String,
		/// Port.
		#[arg(long)]
		port: u16,
		/// Neuron software version.
		#[arg(long, default_value_t = 1)]
		version: u32,
		/// Protocol tag.
		#[arg(long, default_value_t = 0)]
		protocol: u8,
	},
}

#[derive(Subcommand, Debug)]
pub enum StakeCommand {
	/// Move tokens from the coldkey into stake on --hotkey (a wallet hotkey's name, or any
	/// registered hotkey's SS58 address to nominate it).
	Add {
		/// Amount in tokens, e.g. 0.5.
		#[arg(long)]
		amount: String,
	},
	/// Move stake on --hotkey back to the coldkey.
	Remove {
		/// Amount in tokens, e.g. 0.5.
		#[arg(long)]
		amount: String,
	},
	/// Every position of the wallet's coldkey: worth, principal and earnings.
	List {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
}

#[derive(Subcommand, Debug)]
pub enum WeightsCommand {
	/// Set the hotkey's weight row (normalised on the client).
	Set {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
		/// Comma-separated uids, e.g. 0,3,7.
		#[arg(long)]
		uids: String,
		/// Comma-separated weights, one per uid, e.g. 0.2,0.5,0.3.
		#[arg(long)]
		values: String,
		/// Weights version key [default: the subnet's weights_version_key].
		#[arg(long)]
		version_key: Option<u64>,
	},
	/// Commit to a weight row without showing it (subnets with commit-reveal): the row and a
	/// fresh salt are saved in the wallet before the commit is sent; prints the file.
	Commit {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
		/// Comma-separated uids, e.g. 0,3,7.
		#[arg(long)]
		uids: String,
		/// Comma-separated weights, one per uid, e.g. 0.2,0.5,0.3.
		#[arg(long)]
		values: String,
		/// Weights version key [default: the subnet's weights_version_key].
		#[arg(long)]
		version_key: Option<u64>,
	},
	/// Reveal every saved commit of the hotkey whose reveal window is open.
	Reveal {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
	},
	/// List the hotkey's commits waiting for their reveal, with their windows.
	Pending {
		/// Subnet.
		#[arg(long)]
		netuid: u16,
		/// Print a JSON array instead of a table.
		#[arg(long)]
		json: bool,
	},
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	fn run_args(extra: &[&str]) -> RunArgs {
		let mut argv = vec!["neuron", "run", "--netuid", "1"];
		argv.extend_from_slice(extra);
		match Cli::parse_from(argv).command {
			Command::Run(args) => *args,
			other => panic!("parsed as {other:?}"),
		}
	}

	#[test]
	fn a_neuron_listens_only_where_it_must_unless_told_otherwise() {
		let local = run_args(&[]);
		assert_eq!(local.axon_bind().to_string(), "127.0.0.1", "a dev axon stays on loopback");
		assert_eq!(local.metrics_bind.to_string(), "127.0.0.1");
		let public = run_args(&["--axon-ip", "203.0.113.9"]);
		assert_eq!(
			public.axon_bind().to_string(),
			"0.0.0.0",
			"behind a NAT the public IP is not local"
		);
		let v6 = run_args(&["--axon-ip", "2001:db8::1"]);
		assert_eq!(v6.axon_bind().to_string(), "::");
		let chosen = run_args(&["--axon-ip", "203.0.113.9", "--axon-bind", "10.0.0.2"]);
		assert_eq!(chosen.axon_bind().to_string(), "10.0.0.2");
	}
}
