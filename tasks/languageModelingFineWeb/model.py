"""The GPT of the FineWeb language-modelling task: the one network definition the evaluator trusts.

A submission is a safetensors file of this model's weights with its GPTConfig, as JSON, in the
file's metadata under "config" (save_model writes it, load_model reads and checks it). The
evaluator builds the network from this file only, so a different architecture has to be
expressed through the GPTConfig fields below.

The default network follows MLGym's baseline (modded-nanogpt's GPT-2 small): rotary position
embeddings, RMS norms without weights, normalised queries and keys, squared-ReLU MLPs, no biases,
separate input embedding and output head. Written for torch 1.13 (no fused attention kernel).
"""

import json
import math
import os
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

GPT2_VOCAB = 50257       # token ids in the data are below this
EVAL_SEQ_LEN = 1024      # the evaluator scores sequences of this many tokens
MAX_PARAMS = 200_000_000 # largest model the evaluator accepts (MLGym's baseline has ~162M)


@dataclass
class GPTConfig:
    vocab_size: int = 50304        # >= 50257; MLGym pads GPT-2's vocabulary to a multiple of 128
    n_layer: int = 12
    n_head: int = 6
    n_embd: int = 768              # a multiple of n_head; n_embd // n_head must be even (rotary)
    block_size: int = 1024         # longest sequence the model is meant for (>= 1024); with
                                   # pos_embedding "learned" it is the size of the position table
    mlp_ratio: int = 4             # MLP hidden width = mlp_ratio * n_embd
    activation: str = "relu2"      # "relu2" (squared ReLU) or "gelu"
    pos_embedding: str = "rotary"  # "rotary" or "learned" (an added position embedding table)
    qk_norm: bool = True           # RMS-normalise queries and keys before attention
    tie_embeddings: bool = False   # the output head reuses the input embedding matrix

    @classmethod
    def from_dict(cls, values):
        """A checked config from a dict (e.g. parsed JSON); raises ValueError saying what is wrong."""
        if not isinstance(values, dict):
            raise ValueError("the config must be a JSON object")
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown config fields {unknown}; the fields are {sorted(known)}")
        for name, value in values.items():
            wanted = known[name]
            # bool is a subclass of int: refuse True as a layer count and 1 as a flag.
            if type(value) is not wanted:
                raise ValueError(f"config field {name} must be of type {wanted.__name__}, got {value!r}")
        config = cls(**values)
        problems = config.problems()
        if problems:
            raise ValueError("invalid config: " + "; ".join(problems))
        return config

    def problems(self):
        """What makes this config unacceptable to the evaluator (an empty list when it is fine)."""
        out = []
        def bound(name, low, high):
            value = getattr(self, name)
            if not low <= value <= high:
                out.append(f"{name} must be between {low} and {high}, got {value}")
        bound("vocab_size", GPT2_VOCAB, 65536)
        bound("n_layer", 1, 64)
        bound("n_head", 1, 64)
        bound("n_embd", 8, 4096)
        bound("block_size", EVAL_SEQ_LEN, 8192)
        bound("mlp_ratio", 1, 8)
        if self.activation not in ("relu2", "gelu"):
            out.append(f"activation must be 'relu2' or 'gelu', got {self.activation!r}")
        if self.pos_embedding not in ("rotary", "learned"):
            out.append(f"pos_embedding must be 'rotary' or 'learned', got {self.pos_embedding!r}")
        if self.n_head >= 1 and (self.n_embd % self.n_head or (self.n_embd // self.n_head) % 2):
            out.append(f"n_embd ({self.n_embd}) must be n_head ({self.n_head}) times an even head size")
        if not out and self.num_params() > MAX_PARAMS:
            out.append(f"the model has {self.num_params():,} parameters, more than the {MAX_PARAMS:,} allowed")
        return out

    def num_params(self):
        """Parameter count, computed without building the model."""
        embd, layers = self.n_embd, self.n_layer
        count = self.vocab_size * embd * (1 if self.tie_embeddings else 2)
        if self.pos_embedding == "learned":
            count += self.block_size * embd
        return count + layers * (4 * embd * embd + 2 * self.mlp_ratio * embd * embd)

    def to_json(self):
        return json.dumps(asdict(self), sort_keys=True)


def cpu_threads():
    """How many threads torch should use: the CPUs this container may use. (docker --cpus sets a
    quota, not an affinity, and this build of torch starts with a single thread.)"""
    count = len(os.sched_getaffinity(0))
    quota = period = None
    try:  # cgroup v2: "max 100000" or e.g. "200000 100000"
        with open("/sys/fs/cgroup/cpu.max") as handle:
            quota, period = handle.read().split()
    except (OSError, ValueError):
        try:  # cgroup v1
            with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as q, open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as p:
                quota, period = q.read().strip(), p.read().strip()
        except OSError:
            pass
    if quota not in (None, "max", "-1"):
        count = min(count, max(1, math.ceil(int(quota) / int(period))))
    return count


def rms_norm(x, eps=1e-6):
    """RMS normalisation over the last dimension, without a learned scale (torch 1.13 has none)."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rotary_tables(seq_len, head_dim, device, base=10000.0):
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim))
    angles = torch.outer(torch.arange(seq_len, device=device, dtype=torch.float32), inv_freq)
    return angles.cos()[None, :, None, :], angles.sin()[None, :, None, :]


def apply_rotary(x, cos, sin):
    """Rotates pairs (first half, second half) of each head's features by position-dependent angles."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos + x2 * sin, x2 * cos - x1 * sin], dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.n_head, self.head_dim = config.n_head, config.n_embd // config.n_head
        self.c_q = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_k = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_v = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_proj.weight.data.zero_()  # each block starts as the identity

    def forward(self, x, rotary):
        B, T, C = x.shape
        q = self.c_q(x).view(B, T, self.n_head, self.head_dim)
        k = self.c_k(x).view(B, T, self.n_head, self.head_dim)
        v = self.c_v(x).view(B, T, self.n_head, self.head_dim)
        if self.config.qk_norm:
            q, k = rms_norm(q), rms_norm(k)
        if rotary is not None:
            q, k = apply_rotary(q, *rotary), apply_rotary(k, *rotary)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, heads, T, head_dim)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        y = F.softmax(scores, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.activation = config.activation
        self.c_fc = nn.Linear(config.n_embd, config.mlp_ratio * config.n_embd, bias=False)
        self.c_proj = nn.Linear(config.mlp_ratio * config.n_embd, config.n_embd, bias=False)
        self.c_proj.weight.data.zero_()

    def forward(self, x):
        x = self.c_fc(x)
        x = F.relu(x).square() if self.activation == "relu2" else F.gelu(x)
        return self.c_proj(x)


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attn = CausalSelfAttention(config)
        self.mlp = MLP(config)

    def forward(self, x, rotary):
        x = x + self.attn(rms_norm(x), rotary)
        return x + self.mlp(rms_norm(x))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
        ))
        if config.pos_embedding == "learned":
            self.transformer["wpe"] = nn.Embedding(config.block_size, config.n_embd)
        if config.tie_embeddings:
            # The head is the embedding matrix: start it small so the first logits are near 0.
            nn.init.normal_(self.transformer.wte.weight, std=0.02)
        else:
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.lm_head.weight.data.zero_()  # uniform predictions at the start

    def forward(self, idx, targets=None):
        """Logits (B, T, vocab_size) for token ids idx (B, T); with targets (B, T), the mean
        cross-entropy instead."""
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than block_size {self.config.block_size}")
        x = self.transformer.wte(idx)
        rotary = None
        if self.config.pos_embedding == "learned":
            x = x + self.transformer.wpe(torch.arange(T, device=idx.device))
        else:
            rotary = rotary_tables(T, self.config.n_embd // self.config.n_head, idx.device)
        x = rms_norm(x)
        for block in self.transformer.h:
            x = block(x, rotary)
        x = rms_norm(x)
        head = self.transformer.wte.weight if self.config.tie_embeddings else self.lm_head.weight
        logits = F.linear(x, head).float()
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))


# ---------------------------------------------------------------------------------------------
# The submission file


def save_model(model, path):
    """Writes model's weights and config as a submission (safetensors, config in the metadata)."""
    from safetensors.torch import save_file
    tensors = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in model.state_dict().items()}
    save_file(tensors, path, metadata={"config": model.config.to_json()})


def load_model(path):
    """The GPT stored at `path` by save_model, checked; raises ValueError saying what is wrong.
    Reads nothing but tensors and JSON (no pickle, no code), and checks the config's bounds
    before building anything."""
    from safetensors import safe_open
    try:
        handle = safe_open(path, framework="pt", device="cpu")
    except Exception as error:
        raise ValueError(f"{path} is not a readable safetensors file ({error})") from None
    with handle:
        metadata = handle.metadata() or {}
        if "config" not in metadata:
            raise ValueError(f"{path} has no 'config' entry in its safetensors metadata "
                             "(save it with model.save_model)")
        try:
            values = json.loads(metadata["config"])
        except json.JSONDecodeError as error:
            raise ValueError(f"the config in {path} is not valid JSON ({error})") from None
        config = GPTConfig.from_dict(values)
        model = GPT(config)
        expected = model.state_dict()
        found = set(handle.keys())
        missing, unexpected = sorted(set(expected) - found), sorted(found - set(expected))
        if missing or unexpected:
            raise ValueError(f"the tensors do not match the config: missing {missing[:10]}, "
                             f"unexpected {unexpected[:10]}")
        weights = {}
        for name, want in expected.items():
            tensor = handle.get_tensor(name)
            if tuple(tensor.shape) != tuple(want.shape):
                raise ValueError(f"tensor {name} has shape {tuple(tensor.shape)}, the config needs {tuple(want.shape)}")
            if not tensor.is_floating_point():
                raise ValueError(f"tensor {name} has dtype {tensor.dtype}, expected a float type")
            tensor = tensor.to(torch.float32)
            if not torch.isfinite(tensor).all():
                raise ValueError(f"tensor {name} holds NaN or infinite values")
            weights[name] = tensor
    model.load_state_dict(weights, strict=True)
    return model.eval()
