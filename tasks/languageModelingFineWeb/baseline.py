"""Baseline: trains a small GPT for next-token prediction on data/fineweb10B and saves it as
model.safetensors, the submission.

    python3 baseline.py [--num-iterations N]     (or NUM_ITERATIONS=N python3 baseline.py)

The network is the GPT of model.py (read-only: the evaluator builds exactly that network from the
config saved with the weights), here in a deliberately tiny configuration so that it trains in
seconds on a CPU. The recipe follows MLGym's baseline (modded-nanogpt): Adam for the embedding
and the output head, Muon for the matrices of the transformer blocks, a constant learning rate
followed by a linear decay.
"""

import argparse
import glob
import os
import time

import numpy as np
import torch

from model import GPT, GPTConfig, cpu_threads, save_model

MAGIC, VERSION, HEADER_INTS = 20240520, 1, 256


def load_shard(path):
    """Tokens of one shard: 256 int32 of header (magic, version, token count), then uint16 ids."""
    with open(path, "rb") as handle:
        header = np.frombuffer(handle.read(HEADER_INTS * 4), dtype=np.int32)
        assert header[0] == MAGIC and header[1] == VERSION, f"{path} is not a token shard"
        tokens = np.frombuffer(handle.read(), dtype=np.uint16)
    assert len(tokens) == header[2], f"{path} is truncated"
    return tokens


class DataLoader:
    """Consecutive (B, T) batches of inputs and next-token targets, shard after shard, cycling."""

    def __init__(self, pattern, B, T):
        self.files = sorted(glob.glob(pattern))
        assert self.files, f"no shards match {pattern}"
        self.B, self.T = B, T
        self.shard, self.position = 0, 0
        self.tokens = load_shard(self.files[0])

    def next_batch(self):
        B, T = self.B, self.T
        if self.position + B * T + 1 > len(self.tokens):
            self.shard = (self.shard + 1) % len(self.files)
            self.tokens, self.position = load_shard(self.files[self.shard]), 0
        buf = torch.from_numpy(self.tokens[self.position: self.position + B * T + 1].astype(np.int64))
        self.position += B * T
        return buf[:-1].view(B, T), buf[1:].view(B, T)


def orthogonalize(G, steps=5, eps=1e-7):
    """Approximately replaces G by the nearest semi-orthogonal matrix (U V^T of its SVD) with a
    quintic Newton-Schulz iteration, as Muon does."""
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G / (G.norm() + eps)
    tall = G.size(0) > G.size(1)
    if tall:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


class Muon(torch.optim.Optimizer):
    """SGD with Nesterov momentum whose update of each 2-D matrix is orthogonalized first."""

    def __init__(self, params, lr=0.02, momentum=0.95):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].setdefault("momentum_buffer", torch.zeros_like(p.grad))
                buf.mul_(group["momentum"]).add_(p.grad)
                update = orthogonalize(p.grad.add(buf, alpha=group["momentum"]))
                update *= max(1.0, p.size(0) / p.size(1)) ** 0.5
                p.add_(update, alpha=-group["lr"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--num-iterations", type=int, default=int(os.environ.get("NUM_ITERATIONS", 20)))
    parser.add_argument("--batch-size", type=int, default=1, help="sequences per step")
    parser.add_argument("--sequence-length", type=int, default=1024)
    parser.add_argument("--warmdown-fraction", type=float, default=0.5, help="final share of steps with a decaying rate")
    parser.add_argument("--input-bin", default="data/fineweb10B/fineweb_train_*.bin")
    parser.add_argument("--out", default="model.safetensors")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(cpu_threads())  # torch here starts with one thread whatever the CPUs

    # Tiny on purpose (about 6.5M parameters, nearly all in the embedding and the head). The
    # evaluator accepts any GPTConfig within the bounds checked in model.py.
    config = GPTConfig(vocab_size=50304, n_layer=2, n_head=2, n_embd=64)
    model = GPT(config)
    print(f"model: {config.num_params():,} parameters, {config}")

    # Adam for the embedding tables (wte, and wpe if learned) and the output head; Muon for the
    # 2-D matrices inside the transformer blocks.
    embeddings = [p for name, p in model.named_parameters() if name.startswith("transformer.w")]
    optimizers = [torch.optim.Adam(embeddings, lr=0.3, betas=(0.9, 0.95))]
    if not config.tie_embeddings:
        optimizers.append(torch.optim.Adam([model.lm_head.weight], lr=0.002, betas=(0.9, 0.95)))
    optimizers.append(Muon(model.transformer.h.parameters(), lr=0.02, momentum=0.95))
    warmdown = max(1, int(args.warmdown_fraction * args.num_iterations))

    def lr_factor(step):  # constant, then a linear decay to 0 over the last `warmdown` steps
        return min(1.0, (args.num_iterations - step) / warmdown)

    schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, lr_factor) for opt in optimizers]

    loader = DataLoader(args.input_bin, args.batch_size, args.sequence_length)
    print(f"training on {len(loader.files)} shard(s), {args.batch_size * args.sequence_length} tokens per step")
    start = time.time()
    model.train()
    for step in range(args.num_iterations):
        x, y = loader.next_batch()
        loss = model(x, y)
        loss.backward()
        for opt, sched in zip(optimizers, schedulers):
            opt.step()
            sched.step()
        model.zero_grad(set_to_none=True)
        if step % 10 == 0 or step == args.num_iterations - 1:
            print(f"step {step + 1}/{args.num_iterations} train_loss {loss.item():.4f} "
                  f"time {time.time() - start:.1f}s", flush=True)

    save_model(model, args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
