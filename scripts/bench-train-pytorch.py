#!/usr/bin/env python3
"""The training benchmark of `neuron bench train`, in PyTorch Python.

The same model (causal byte-level transformer encoder, gate, distiller, head: the same layers,
sizes and parameter count), the same batch and sequence length, the same step (local CE +
remote CE with a zero remote context + distillation MSE, gradient norm clipped to 1, AdamW)
on the same libtorch. Reports the same JSON keys: steps, steps_per_s, tokens_per_s, params.

Run it with the project's torch environment:
  ~/.cache/bittensor-torch/bin/python scripts/bench-train-pytorch.py --steps 100 --json
"""

import argparse
import json
import math
import time

import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Attention(nn.Module):
    def __init__(self, dim, heads, max_seq, dropout):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.heads = heads
        self.dropout = dropout
        self.register_buffer("mask", torch.ones(max_seq, max_seq, dtype=torch.bool).tril())

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=2)
        split = lambda y: y.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        att = q.matmul(k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.heads))
        att = att.masked_fill(self.mask[:t, :t].logical_not(), float("-inf")).softmax(-1)
        att = F.dropout(att, self.dropout, self.training)
        return self.proj(att.matmul(v).transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, dim, heads, max_seq, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.ln2 = nn.LayerNorm(dim)
        self.attention = Attention(dim, heads, max_seq, dropout)
        self.up = nn.Linear(dim, 4 * dim)
        self.down = nn.Linear(4 * dim, dim)
        self.dropout = dropout

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        y = self.down(F.gelu(self.up(self.ln2(x))))
        return x + F.dropout(y, self.dropout, self.training)


class Encoder(nn.Module):
    def __init__(self, dim, heads, layers, max_seq, dropout):
        super().__init__()
        self.tokens = nn.Embedding(256, dim)
        self.positions = nn.Parameter(torch.randn(1, max_seq, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, max_seq, dropout) for _ in range(layers))
        self.ln = nn.LayerNorm(dim)
        self.dropout = dropout

    def forward(self, x):
        h = self.tokens(x) + self.positions[:, : x.shape[1]]
        h = F.dropout(h, self.dropout, self.training)
        for block in self.blocks:
            h = block(h)
        return self.ln(h)


class Neuron(nn.Module):
    def __init__(self, dim, capacity, heads=4, layers=2, max_seq=64, dropout=0.1):
        super().__init__()
        self.encoder = Encoder(dim, heads, layers, max_seq, dropout)
        self.gate = nn.Linear(dim, capacity)
        self.distiller = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.head = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU(), nn.Linear(dim, 256))

    def step_loss(self, x, y):
        encoded = self.encoder(x)
        detached = encoded.detach()
        remote = torch.zeros_like(detached)
        distilled = self.distiller(detached)
        ce = lambda logits: F.cross_entropy(logits.view(-1, 256), y.reshape(-1))
        local = ce(self.head(torch.cat([encoded, distilled], 2)))
        remote_loss = ce(self.head(torch.cat([encoded, remote], 2)))
        distill = F.mse_loss(distilled, remote)
        return local + remote_loss + distill


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--capacity", type=int, default=4096)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    model = Neuron(args.dim, args.capacity, max_seq=args.seq_len).to(device)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # Random windows of random bytes: the data does not change the work per step.
    data = torch.randint(0, 256, (args.steps + 3, args.batch, args.seq_len + 1), device=device)
    loss = None
    started = time.perf_counter()
    for i in range(args.steps + 3):
        if i == 3:
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
        x, y = data[i, :, :-1], data[i, :, 1:]
        optimizer.zero_grad()
        loss = model.step_loss(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    final_loss = loss.item()
    seconds = time.perf_counter() - started
    steps_per_s = args.steps / seconds
    report = {
        "steps": args.steps,
        "steps_per_s": steps_per_s,
        "tokens_per_s": steps_per_s * args.batch * args.seq_len,
        "params": params,
        "final_loss": final_loss,
        "device": args.device,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{args.steps} steps on {args.device}: {steps_per_s:.2f} steps/s, "
            f"{report['tokens_per_s']:.0f} tokens/s, {params} parameters, last loss {final_loss:.3f}"
        )


if __name__ == "__main__":
    main()
