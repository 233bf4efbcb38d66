#!/usr/bin/env python3
"""Trains (optionally) and exports a byte-level encoder as TorchScript for `neuron run --model`.

The path for PyTorch users: write or pick an encoder in Python, train it here (or in your own
loop), export it with `torch.jit.script`, then serve it from the Rust neuron:

  ~/.cache/bittensor-torch/bin/python scripts/export-model.py --arch conv --dim 64 \\
      --steps 500 --text corpus.txt --out encoder.pt --reference encoder.safetensors
  neuron run --model encoder.pt            # the neuron keeps training it (TrainableCModule)
  neuron run --model encoder.pt --freeze   # the neuron serves it as exported (CModule)

The model contract the neuron checks when it loads the file: `forward(x)` takes a `[batch, seq]`
int64 tensor of byte values 0..255 and returns one tensor `[batch, seq, dim]` of f32, f16 or
bf16, causal (the output at position t depends only on bytes 0..t) and finite. `dim` is the
subnet's representation size.

The shared readout. Every neuron of a subnet reads representations through the same fixed
`[dim, 256]` matrix R (drawn from a published seed with xorshift64 and Box–Muller, and row 0
a "this is text" row; see `SharedReadout::new` in neuron-learner/src/model.rs): logits =
encoder(x) @ R predict the next byte. Nobody trains R and nobody sends it, so any caller can
read any peer's answer as next-byte logits. `--steps N` trains the encoder against exactly
that objective (cross-entropy of encoder(x[:, :-1]) @ R against x[:, 1:]), which is what makes
an exported model useful to its peers from its first block. `shared_readout(dim)` below
reproduces R bit for bit; `--print-readout` prints its first values for comparison with Rust.

Architectures:
  builtin  the Rust neuron's own encoder (a causal byte-level transformer), with the same
           parameter names as its VarStore (tokens.weight, positions, blocks.0.ln1.weight, ...)
  conv     a causal dilated 1-D convolutional byte model with no sequence-length limit

`--bad KIND` is for the Rust tests of the contract only: it exports a deliberately broken model
(see --help for the kinds).
"""

import argparse
import json
import math
import random
import struct
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

VOCAB = 256

# Part of the protocol between neurons of one dim: see neuron-learner/src/model.rs.
SHARED_READOUT_SEED = 0x6269_7474_656E_736F
READOUT_SCALE = 4.0

U64 = (1 << 64) - 1

OUTPUT_DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}

# --bad: each breaks one rule of the contract, in the order neuron-learner/src/script.rs checks
# them (and halfparams, which passes the contract but cannot be trained, only frozen).
BAD_KINDS = ("forwardfails", "tuple", "rank2", "wrongshape", "wrongdim", "integer", "double", "nan",
             "inf", "noncausal", "slow", "halfparams", "trainfails")


def shared_readout(dim):
    """The `[dim, 256]` float32 readout every neuron of a subnet shares, bit for bit as Rust's
    `SharedReadout::new`: xorshift64 uniforms in (0, 1], Box–Muller pairs computed in float64
    and rounded to float32, then row 0 overwritten with the text row."""
    n = dim * VOCAB
    scale = READOUT_SCALE / math.sqrt(dim)
    two_pi = 2.0 * math.pi  # Rust computes (2.0 * PI) * v: the same rounding order.
    log, sqrt, cos, sin = math.log, math.sqrt, math.cos, math.sin
    state = SHARED_READOUT_SEED
    values = []
    while len(values) < n:
        # Two xorshift64 steps, inlined: this loop is the script's hot spot for large dims.
        state ^= (state << 13) & U64
        state ^= state >> 7
        state ^= (state << 17) & U64
        u = ((state >> 11) + 1.0) / 9007199254740992.0  # 2**53: 53 random bits in (0, 1]
        state ^= (state << 13) & U64
        state ^= state >> 7
        state ^= (state << 17) & U64
        v = ((state >> 11) + 1.0) / 9007199254740992.0
        radius = sqrt(-2.0 * log(u))
        angle = two_pi * v
        values.append(radius * cos(angle) * scale)
        values.append(radius * sin(angle) * scale)
    del values[n:]
    # Row 0 says "text": +scale on printable ASCII, tab and newline, -scale on other bytes.
    for byte in range(VOCAB):
        text = 32 <= byte < 127 or byte in (9, 10)
        values[byte] = scale if text else -scale
    # torch.tensor rounds each float64 to the nearest float32, as Rust's `as f32` does.
    return torch.tensor(values, dtype=torch.float32).view(dim, VOCAB)


def cast_output(y: torch.Tensor, output_dtype: str) -> torch.Tensor:
    """The exported output dtype; parameters and the computation stay float32."""
    if output_dtype == "f16":
        return y.to(torch.float16)
    if output_dtype == "bf16":
        return y.to(torch.bfloat16)
    return y


# The built-in encoder: the Rust neuron's `Encoder` (neuron-learner/src/model.rs), layer for
# layer, with attribute names chosen so that PyTorch's parameter names equal Rust's VarStore
# names. Written without lambdas or tuple-unpacked shapes so that torch.jit.script accepts it.


class Attention(nn.Module):
    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.heads = heads
        self.dropout = dropout

    def split_heads(self, y: torch.Tensor, b: int, t: int, c: int) -> torch.Tensor:
        return y.view(b, t, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.size(0), x.size(1), x.size(2)
        qkv = self.qkv(x).chunk(3, 2)
        q = self.split_heads(qkv[0], b, t, c)
        k = self.split_heads(qkv[1], b, t, c)
        v = self.split_heads(qkv[2], b, t, c)
        att = q.matmul(k.transpose(-2, -1)) * (1.0 / math.sqrt(float(c // self.heads)))
        # Rust keeps a [max_seq, max_seq] mask outside its VarStore; building it here keeps
        # it out of the state dict too, and on whatever device the input is.
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(causal.logical_not(), float("-inf")).softmax(-1)
        att = F.dropout(att, self.dropout, self.training)
        return self.proj(att.matmul(v).transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.ln2 = nn.LayerNorm(dim)
        self.attention = Attention(dim, heads, dropout)
        self.up = nn.Linear(dim, 4 * dim)
        self.down = nn.Linear(4 * dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.ln1(x))
        y = self.down(F.gelu(self.up(self.ln2(x))))
        return x + F.dropout(y, self.dropout, self.training)


class Encoder(nn.Module):
    """`[batch, seq]` int64 bytes -> `[batch, seq, dim]`; seq at most max_seq."""

    def __init__(self, dim, heads=4, layers=2, max_seq=128, dropout=0.1, output_dtype="f32"):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, dim)
        # Rust: p.randn("positions", [1, max_seq, dim], 0.0, 0.02).
        self.positions = nn.Parameter(torch.randn(1, max_seq, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.dropout = dropout
        self.output_dtype = output_dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.size(1) > self.positions.size(1):
            # Rust's encoder fails here too; say why instead of a broadcasting error.
            raise RuntimeError("sequence of {} bytes exceeds the encoder's max_seq {}".format(x.size(1), self.positions.size(1)))
        h = self.tokens(x) + self.positions[:, : x.size(1)]
        h = F.dropout(h, self.dropout, self.training)
        for block in self.blocks:
            h = block(h)
        return cast_output(self.ln(h), self.output_dtype)


# The convolutional encoder: a different architecture behind the same contract, to show that
# the neuron only cares about the contract. Causal because every convolution is padded on the
# left only; no positional table, so any sequence length works.


class ConvBlock(nn.Module):
    def __init__(self, width, dilation, dropout):
        super().__init__()
        self.ln = nn.LayerNorm(width)
        self.conv = nn.Conv1d(width, width, kernel_size=3, dilation=dilation)
        # Kernel 3 at dilation d reaches 2d positions back: pad exactly that much on the left,
        # nothing on the right, so position t never sees t + 1.
        self.left_pad = 2 * dilation
        self.dropout = dropout

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        y = self.ln(h).transpose(1, 2)  # [b, width, t]: Conv1d's channel-first layout
        y = F.gelu(self.conv(F.pad(y, [self.left_pad, 0]))).transpose(1, 2)
        return h + F.dropout(y, self.dropout, self.training)


class ConvEncoder(nn.Module):
    """`[batch, seq]` int64 bytes -> `[batch, seq, dim]`, any seq; receptive field 2**(layers+1)-1."""

    def __init__(self, dim, width=96, layers=4, dropout=0.1, output_dtype="f32"):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, width)
        self.blocks = nn.ModuleList([ConvBlock(width, 2**i, dropout) for i in range(layers)])
        self.out = nn.Linear(width, dim)
        self.ln = nn.LayerNorm(dim)
        self.output_dtype = output_dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tokens(x)
        for block in self.blocks:
            h = block(h)
        return cast_output(self.ln(self.out(h)), self.output_dtype)


# Deliberately broken models, for the Rust tests of the contract (--bad). Each wraps a working
# encoder and breaks exactly one rule, so a test failing on it names that rule.


class Broken(nn.Module):
    def __init__(self, inner, kind, slow_iterations=0):
        super().__init__()
        self.inner = inner
        self.kind = kind
        self.slow_iterations = slow_iterations

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "forwardfails":
            raise RuntimeError("this model fails on purpose (export-model.py --bad forwardfails)")
        y = self.inner(x)
        b, t, d = y.size(0), y.size(1), y.size(2)
        if self.kind == "trainfails" and self.training:
            # Meets the contract in eval mode; only training it fails.
            raise RuntimeError("this model cannot be trained")
        if self.kind == "rank2":
            return y.reshape(b, t * d)
        if self.kind == "wrongshape":
            # One position more than the input has.
            return torch.cat([y, y[:, t - 1 :]], 1)
        if self.kind == "wrongdim":
            return torch.cat([y, torch.zeros(b, t, 1, dtype=y.dtype, device=y.device)], 2)
        if self.kind == "integer":
            return (y * 100.0).round().to(torch.int64)
        if self.kind == "double":
            return y.to(torch.float64)
        if self.kind == "nan" or self.kind == "inf":
            # Only the last position of each sequence: a check must look at all of them.
            bad = float("nan") if self.kind == "nan" else float("inf")
            last = torch.full([b, 1, d], bad, dtype=y.dtype, device=y.device)
            return torch.cat([y[:, : t - 1], last], 1)
        if self.kind == "noncausal":
            # Position t also sees the representation of t + 1 (the last sees nothing extra).
            future = torch.cat([y[:, 1:], torch.zeros(b, 1, d, dtype=y.dtype, device=y.device)], 1)
            return y + future
        if self.kind == "slow":
            # TorchScript has no sleep and no clock: burn time with a chain of multiply-adds
            # on a tiny tensor. Plain ATen arithmetic on 1024 elements runs on the calling
            # thread whatever libtorch's thread count; transcendental ops (tanh, exp) go
            # through MKL's vector library, which opens OpenMP regions and was 10-100x slower
            # with 2 threads than with 1 on a busy machine, as were small matmuls. Each step
            # depends on the last (z converges to 0.5 and stays finite), so none is skipped.
            # Calibrated at export (build_slow).
            z = torch.full([1024], 1.0, device=y.device)
            for _ in range(self.slow_iterations):
                z = z * 0.5 + 0.25
            return y + z.sum() * 0.0
        return y


class TupleOutput(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor):
        y = self.inner(x)
        return y, y


# Training against the shared readout.


def generated_text(seed, size=65536):
    """Deterministic English-like sentences, for training without --text."""
    rng = random.Random(seed)
    subjects = ["the miner", "a validator", "the network", "every neuron", "the chain", "a peer",
                "the subnet", "our model", "the gate", "a small encoder"]
    verbs = ["trains", "serves", "reads", "predicts", "weighs", "learns", "answers", "stakes",
             "ranks", "rewards"]
    objects = ["the next byte", "its peers", "a block of text", "the shared readout",
               "every query", "the weights", "new bonds", "a long sequence", "the emission",
               "its own representation"]
    endings = ["quickly", "every block", "on the axon", "without a pause", "for the subnet",
               "as well as it can", "in time", "once more"]
    parts = []
    total = 0
    while total < size:
        sentence = f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} {rng.choice(endings)}."
        sentence = sentence[0].upper() + sentence[1:] + ("\n" if rng.random() < 0.2 else " ")
        parts.append(sentence)
        total += len(sentence)
    return "".join(parts).encode("ascii")


def train(model, readout, data, args):
    """AdamW on random windows of `data` (uint8), minimising the shared-readout cross-entropy.
    Returns the last step's loss."""
    window = args.seq_len + 1
    if data.numel() < window:
        raise SystemExit(f"the training text has {data.numel()} bytes; --seq-len {args.seq_len} needs at least {window}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    offsets = torch.arange(window)
    model.train()
    loss = None
    for step in range(1, args.steps + 1):
        starts = torch.randint(0, data.numel() - window + 1, (args.batch, 1))
        batch = data[starts + offsets].long()
        x, y = batch[:, :-1], batch[:, 1:]
        logits = model(x).float().matmul(readout)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        # Rust's learner clips the gradient norm at 1 too.
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step == 1 or step % args.log_every == 0 or step == args.steps:
            print(f"step {step}/{args.steps}: loss {loss.item():.4f}", file=sys.stderr)
    model.eval()
    return loss.item()


# Exporting.


def tensor_bytes(t):
    """Raw little-endian bytes of a tensor, without NumPy."""
    if sys.byteorder != "little":
        raise SystemExit("safetensors wants little-endian data; this machine is big-endian")
    return bytes(t.detach().cpu().contiguous().view(torch.uint8).reshape(-1).tolist())


def write_safetensors(path, tensors, metadata):
    """A safetensors file by hand: u64 LE header length, JSON header padded with spaces to a
    multiple of 8, then the tensors' data back to back."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, (dtype, t) in tensors.items():
        blob = tensor_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def time_forward(module, x, repeats=1):
    with torch.no_grad():
        module(x)  # the first call of a scripted module also optimises it: not timed
        started = time.perf_counter()
        for _ in range(repeats):
            module(x)
        return (time.perf_counter() - started) / repeats


def build_slow(inner, slow_ms, probe):
    """A `slow` model whose forward takes about slow_ms on this machine: time a trial
    iteration count, scale it, and correct once more from the scaled count's own time."""
    target = slow_ms / 1000.0
    base = time_forward(torch.jit.script(Broken(inner, "slow", 0).eval()), probe, repeats=3)
    iterations = 5000
    for _ in range(2):
        took = time_forward(torch.jit.script(Broken(inner, "slow", iterations).eval()), probe)
        per_iteration = max((took - base) / iterations, 1e-8)
        iterations = max(1, int((target - base) / per_iteration))
    scripted = torch.jit.script(Broken(inner, "slow", iterations).eval())
    took = time_forward(scripted, probe)
    print(f"slow: {iterations} iterations, forward takes {took * 1000:.0f} ms here", file=sys.stderr)
    return scripted


def readout_report(dim):
    r = shared_readout(dim)

    def show(values):
        bits = " ".join(f"0x{struct.unpack('<I', struct.pack('<f', v))[0]:08x}" for v in values)
        return f"[{', '.join(f'{v:.9g}' for v in values)}]  bits {bits}"

    print(f"shared readout dim {dim}: R[0, 0..4] = {show(r[0, :4].tolist())}")
    print(f"shared readout dim {dim}: R[1, 0..4] = {show(r[1, :4].tolist())}")
    print(f"shared readout dim {dim}: sum {r.double().sum().item():.17g}, sum of squares {r.double().pow(2).sum().item():.17g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["builtin", "conv"], default="builtin",
                        help="builtin: the Rust neuron's transformer encoder; conv: causal dilated convolutions")
    parser.add_argument("--dim", type=int, default=64, help="output size: the subnet's dim (default 64)")
    parser.add_argument("--layers", type=int, help="blocks (default 2 for builtin, 4 for conv)")
    parser.add_argument("--heads", type=int, default=4, help="builtin: attention heads (default 4)")
    parser.add_argument("--max-seq", type=int, default=128, help="builtin: longest sequence (default 128)")
    parser.add_argument("--dropout", type=float, default=0.1, help="dropout while training (default 0.1)")
    parser.add_argument("--width", type=int, default=96, help="conv: channels (default 96)")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed (default 0)")
    parser.add_argument("--steps", type=int, default=0, help="AdamW steps before export (default 0: export untrained)")
    parser.add_argument("--lr", type=float, default=3e-3, help="learning rate (default 3e-3)")
    parser.add_argument("--batch", type=int, default=16, help="training batch (default 16)")
    parser.add_argument("--seq-len", type=int, default=64, help="training window, inputs (default 64)")
    parser.add_argument("--text", help="train on random windows of this file's bytes (default: generated sentences)")
    parser.add_argument("--log-every", type=int, default=50, help="print the loss every N steps (default 50)")
    parser.add_argument("--dtype", choices=list(OUTPUT_DTYPES), default="f32",
                        help="the exported output's dtype; parameters stay f32 (default f32)")
    parser.add_argument("--out", help="where to write the TorchScript module (required unless only --print-readout)")
    parser.add_argument("--reference", help="also write a safetensors file of probe inputs and the exported module's outputs (F32)")
    parser.add_argument("--reference-batch", type=int, default=4, help="probe batch (default 4)")
    parser.add_argument("--reference-seq", type=int, default=32, help="probe sequence length (default 32)")
    parser.add_argument("--reference-seed", type=int, default=1, help="seed of the probe bytes (default 1)")
    parser.add_argument("--print-readout", action="store_true", help="print the shared readout's first values, to compare with Rust")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--bad", choices=BAD_KINDS, metavar="KIND",
                        help="TEST ONLY, for the Rust tests of the model contract: export a deliberately "
                             "broken model instead: forwardfails (forward raises), tuple (returns two "
                             "tensors), rank2 ([b, t*dim]), wrongshape ([b, t+1, dim]), wrongdim "
                             "([b, t, dim+1]), integer (int64), double (f64), nan / inf (at the last "
                             "position), noncausal (position t sees t+1), slow (forward takes about "
                             "--slow-ms), trainfails (raises in train mode only), halfparams (f16 parameters and output: meets the contract but "
                             "can only be served with --freeze)")
    parser.add_argument("--slow-ms", type=float, default=2000.0, help="--bad slow: forward time to aim for (default 2000)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.print_readout:
        readout_report(args.dim)
        if not args.out:
            return
    if not args.out:
        parser.error("--out is required")
    if args.arch == "builtin" and args.dim % args.heads != 0:
        parser.error(f"--dim {args.dim} is not a multiple of --heads {args.heads}")
    if args.steps > 0 and args.arch == "builtin" and args.seq_len > args.max_seq:
        parser.error(f"--seq-len {args.seq_len} exceeds --max-seq {args.max_seq}")
    if args.reference and args.arch == "builtin" and args.reference_seq > args.max_seq:
        parser.error(f"--reference-seq {args.reference_seq} exceeds --max-seq {args.max_seq}")

    torch.manual_seed(args.seed)
    # A bad model keeps f32 inside so that it breaks only its own rule.
    output_dtype = "f32" if args.bad else args.dtype
    exported_dtype = "f16" if args.bad == "halfparams" else output_dtype
    if args.arch == "builtin":
        layers = 2 if args.layers is None else args.layers
        model = Encoder(args.dim, args.heads, layers, args.max_seq, args.dropout, output_dtype)
    else:
        layers = 4 if args.layers is None else args.layers
        model = ConvEncoder(args.dim, args.width, layers, args.dropout, output_dtype)
    params = sum(p.numel() for p in model.parameters())

    final_loss = None
    if args.steps > 0:
        if args.text:
            with open(args.text, "rb") as f:
                raw = f.read()
        else:
            raw = generated_text(args.seed)
        data = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
        readout = shared_readout(args.dim)
        started = time.perf_counter()
        final_loss = train(model, readout, data, args)
        print(f"trained {args.steps} steps in {time.perf_counter() - started:.1f} s, final loss {final_loss:.4f}", file=sys.stderr)

    model.eval()
    generator = torch.Generator().manual_seed(args.reference_seed)
    probe = torch.randint(0, VOCAB, (args.reference_batch, args.reference_seq), generator=generator, dtype=torch.int64)
    if args.bad == "slow":
        scripted = build_slow(model, args.slow_ms, probe[:1])
    elif args.bad == "halfparams":
        scripted = torch.jit.script(model.half())
    elif args.bad == "tuple":
        scripted = torch.jit.script(TupleOutput(model).eval())
    elif args.bad:
        scripted = torch.jit.script(Broken(model, args.bad).eval())
    else:
        scripted = torch.jit.script(model)
    scripted.save(args.out)

    if args.reference:
        # The outputs of the module as saved (reloaded), so the reference checks the file.
        loaded = torch.jit.load(args.out)
        loaded.eval()
        with torch.no_grad():
            outputs = loaded(probe)
        if isinstance(outputs, tuple):
            outputs = outputs[0]
        write_safetensors(
            args.reference,
            {"inputs": ("I64", probe), "outputs": ("F32", outputs.float())},
            {"arch": args.arch, "dim": str(args.dim), "dtype": exported_dtype, "bad": args.bad or ""},
        )

    loss = f"{final_loss:.4f}" if final_loss is not None else "-"
    bad = f" bad={args.bad}" if args.bad else ""
    print(f"arch={args.arch} dim={args.dim} params={params} steps={args.steps} loss={loss} dtype={exported_dtype}{bad} out={args.out}")


if __name__ == "__main__":
    main()
