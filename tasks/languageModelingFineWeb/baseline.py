"""Baseline: trains a GPT for next-token prediction on data/fineweb10B and saves it as
model.safetensors, the submission.

    python3 baseline.py [--num-iterations N] [--max-steps N]   (or NUM_ITERATIONS=N python3 baseline.py)
    torchrun --nproc_per_node=2 baseline.py                     (one process per GPU, as MLGym runs it)

MLGYM_SCALE=paper makes MLGym's baseline the default: its 12-layer GPT, 500 steps of 128 x 1024
tokens; small (or unset): a tiny model that trains in seconds on a CPU. The network is the GPT of
model.py (read-only: the evaluator builds exactly that network from the config saved with the
weights). The recipe is MLGym's (modded-nanogpt): Adam for the embedding and the head, Muon for
the blocks' matrices, a constant then linearly decaying learning rate.
"""

import argparse
import contextlib
import glob
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from model import GPT, GPTConfig, cpu_threads, save_model

MAGIC, VERSION, HEADER_INTS = 20240520, 1, 256
PAPER = os.environ.get("MLGYM_SCALE") == "paper"


def load_shard(path):
    """Tokens of one shard: 256 int32 of header (magic, version, token count), then uint16 ids."""
    with open(path, "rb") as handle:
        header = np.frombuffer(handle.read(HEADER_INTS * 4), dtype=np.int32)
        assert header[0] == MAGIC and header[1] == VERSION, f"{path} is not a token shard"
        tokens = np.frombuffer(handle.read(), dtype=np.uint16)
    assert len(tokens) == header[2], f"{path} is truncated"
    return tokens


class DataLoader:
    """Consecutive (B, T) batches of inputs and next-token targets, shard after shard, cycling.
    With several processes each reads every world-th batch, so together they read consecutively."""

    def __init__(self, pattern, B, T, rank=0, world=1):
        self.files = sorted(glob.glob(pattern))
        assert self.files, f"no shards match {pattern}"
        self.B, self.T, self.rank, self.world = B, T, rank, world
        self.shard, self.position = 0, rank * B * T
        self.tokens = load_shard(self.files[0])
        assert len(self.tokens) > world * B * T, f"{self.files[0]} is shorter than one step's batch"

    def next_batch(self):
        B, T = self.B, self.T
        if self.position - self.rank * B * T + self.world * B * T + 1 > len(self.tokens):
            self.shard = (self.shard + 1) % len(self.files)
            self.tokens, self.position = load_shard(self.files[self.shard]), self.rank * B * T
        buf = torch.from_numpy(self.tokens[self.position: self.position + B * T + 1].astype(np.int64))
        self.position += self.world * B * T
        return buf[:-1].view(B, T), buf[1:].view(B, T)


def orthogonalize(G, steps=5, eps=1e-7, dtype=torch.float32):
    """Approximately replaces G by the nearest semi-orthogonal matrix (U V^T of its SVD) with a
    quintic Newton-Schulz iteration, as Muon does, computed in `dtype` (MLGym's: bfloat16)."""
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G.to(dtype) / (G.norm() + eps)
    tall = G.size(0) > G.size(1)
    if tall:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return (X.T if tall else X).to(G.dtype)


class Muon(torch.optim.Optimizer):
    """SGD with Nesterov momentum whose update of each 2-D matrix is orthogonalized first."""

    def __init__(self, params, lr=0.02, momentum=0.95, dtype=torch.float32):
        super().__init__(params, dict(lr=lr, momentum=momentum, dtype=dtype))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].setdefault("momentum_buffer", torch.zeros_like(p.grad))
                buf.mul_(group["momentum"]).add_(p.grad)
                update = orthogonalize(p.grad.add(buf, alpha=group["momentum"]), dtype=group["dtype"])
                update *= max(1.0, p.size(0) / p.size(1)) ** 0.5
                p.add_(update, alpha=-group["lr"])


def main():
    args = parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(cpu_threads())  # torch here starts with one thread whatever the CPUs
    rank, world, device, accumulation = start_processes(args)

    # Small: tiny on purpose (6.5M parameters, mostly embedding and head); paper: MLGym's (~162M).
    config = GPTConfig() if PAPER else GPTConfig(vocab_size=50304, n_layer=2, n_head=2, n_embd=64)
    model = GPT(config).to(device)
    print(f"model: {config.num_params():,} parameters, {config}")

    # Adam for the embedding tables (wte, and wpe if learned) and the head; Muon for the blocks.
    embeddings = [p for name, p in model.named_parameters() if name.startswith("transformer.w")]
    optimizers = [torch.optim.Adam(embeddings, lr=0.3, betas=(0.9, 0.95))]
    if not config.tie_embeddings:
        optimizers.append(torch.optim.Adam([model.lm_head.weight], lr=0.002, betas=(0.9, 0.95)))
    # Paper: the orthogonalisation in bfloat16, as MLGym's Muon; small: in float32, as it always was.
    orthogonal_dtype = torch.bfloat16 if PAPER else torch.float32
    optimizers.append(Muon(model.transformer.h.parameters(), lr=0.02, momentum=0.95, dtype=orthogonal_dtype))
    warmdown = args.warmdown_iters or max(1, int(args.warmdown_fraction * args.num_iterations))

    def lr_factor(step):  # constant, then a linear decay to 0 over the last `warmdown` steps
        return min(1.0, (args.num_iterations - step) / warmdown)

    schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, lr_factor) for opt in optimizers]

    loader = DataLoader(args.input_bin, args.device_batch_size, args.sequence_length, rank, world)
    per_step = f"{args.batch_size * args.sequence_length} tokens per step"
    if args.batch_size > 1:
        per_step += f" ({world} process(es) x {accumulation} micro-batch(es) of {args.device_batch_size} sequences)"
    print(f"training on {len(loader.files)} shard(s), {per_step}")
    # Several processes (torchrun) average their gradients through DDP; Muon then makes the same
    # update in every process, so the copies stay equal.
    trained = DDP(model, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else model
    steps = min(args.num_iterations, args.max_steps or args.num_iterations)
    start = time.time()
    model.train()
    for step in range(steps):
        for micro in range(accumulation):
            x, y = loader.next_batch()
            # Gradients are averaged across processes only on the last micro-batch of a step.
            last = micro == accumulation - 1
            with trained.no_sync() if world > 1 and not last else contextlib.nullcontext():
                with mixed_precision(device):
                    loss = trained(x.to(device), y.to(device))
                (loss / accumulation).backward()
        for opt, sched in zip(optimizers, schedulers):
            opt.step()
            sched.step()
        model.zero_grad(set_to_none=True)
        if rank == 0 and (step % 10 == 0 or step == steps - 1):
            print(f"step {step + 1}/{args.num_iterations} train_loss {loss.item():.4f} "
                  f"time {time.time() - start:.1f}s", flush=True)

    if rank == 0:
        save_model(model, args.out)
        print(f"saved {args.out}")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


def parse_args():
    parser = argparse.ArgumentParser()
    iterations = int(os.environ.get("NUM_ITERATIONS", 500 if PAPER else 20))
    parser.add_argument("--num-iterations", type=int, default=iterations, help="optimizer steps of the schedule")
    parser.add_argument("--max-steps", type=int, default=0,
                        help="stop after this many steps (0: all); the schedule still spans --num-iterations")
    parser.add_argument("--batch-size", type=int, help="sequences per step, all processes together "
                        "(paper: 128 on GPUs, small: 1)")
    parser.add_argument("--device-batch-size", type=int, help="sequences per forward pass of one process "
                        "(paper: at most 64); a smaller one accumulates gradients")
    parser.add_argument("--sequence-length", type=int, default=1024)
    parser.add_argument("--warmdown-fraction", type=float, default=0.5, help="final share of steps with a decaying rate")
    # MLGym's 1308 decay steps outnumber its 500 steps: the rate decays from the first step on,
    # starting at 500/1308 of the peak.
    parser.add_argument("--warmdown-iters", type=int, default=1308 if PAPER else 0,
                        help="steps with a decaying rate (0: from --warmdown-fraction)")
    parser.add_argument("--input-bin", default="data/fineweb10B/fineweb_train_*.bin")
    parser.add_argument("--out", default="model.safetensors")
    return parser.parse_args()


def start_processes(args):
    """(rank, number of processes, device, micro-batches per step). Under torchrun (WORLD_SIZE set)
    each process joins the group and uses its own GPU; otherwise one process uses the GPU if there
    is one, else the CPUs. Fills in the batch sizes this scale and device call for."""
    world, rank = int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("RANK", 0))
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if args.batch_size is None:
        # MLGym's step is 64 sequences on each of its 2 GPUs. A CPU cannot train that at a useful
        # pace: there a paper-scale run is a check of the code, one sequence per step.
        args.batch_size = 128 if PAPER and device.type == "cuda" else 1
        if PAPER and device.type != "cuda" and rank == 0:
            print("no GPU: training one sequence per step, not MLGym's 128 (--batch-size sets it)")
    if args.device_batch_size is None:  # paper: MLGym's 64 per GPU; fewer GPUs accumulate gradients
        per_process = max(1, args.batch_size // world)
        args.device_batch_size = min(64, per_process) if PAPER else per_process
    if args.device_batch_size < 1 or args.batch_size % (args.device_batch_size * world):
        sys.exit(f"--batch-size {args.batch_size} must be a multiple of --device-batch-size "
                 f"{args.device_batch_size} times the {world} process(es)")
    return rank, world, device, args.batch_size // (args.device_batch_size * world)


def mixed_precision(device):
    """bfloat16 autocast on GPUs, as MLGym trains; full float32 on CPUs."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


if __name__ == "__main__":
    main()
