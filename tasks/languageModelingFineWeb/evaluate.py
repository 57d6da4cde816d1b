"""Scores a language model on the held-out FineWeb tokens: prints {"val_loss": ...}.

Usage: python3 evaluate.py [model.safetensors] [--tokens GLOB]
The model is read by model.load_model (safetensors + JSON config, checked; nothing is unpickled
or imported from the submission). The score is the mean next-token cross-entropy (natural log)
over the first EVAL_TOKENS tokens of the test shard(s), cut into consecutive sequences of
EVAL_SEQ_LEN tokens, each predicting the token that follows every position. Lower is better.
--tokens scores other shards instead (e.g. a training shard you held out); by default it reads
hidden/fineweb10B/fineweb_val_*.bin, which exists only in the trusted evaluation.
MLGYM_SCALE=paper scores MLGym's 10,485,760 tokens instead of a tenth of them (small, the default).
It runs on a GPU when there is one (float32 either way), else on the CPUs.
"""

import argparse
import glob
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # importing model.py must leave no __pycache__ behind
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from model import EVAL_SEQ_LEN, cpu_threads, load_model  # noqa: E402

TEST_SHARDS = "hidden/fineweb10B/fineweb_val_*.bin"
# MLGym scores 10,485,760 tokens (10,240 sequences) on GPUs: so does the paper scale. The small
# scale runs on CPUs within the time limit, so it scores the first 1,048,576 (1,024 sequences). A
# shard with fewer tokens is scored whole (in whole sequences): the small offline variant has 16.
PAPER = os.environ.get("MLGYM_SCALE") == "paper"
EVAL_TOKENS = (10240 if PAPER else 1024) * EVAL_SEQ_LEN
MAGIC, VERSION, HEADER_INTS = 20240520, 1, 256


def fail(message):
    print(f"evaluate.py: {message}", file=sys.stderr)
    sys.exit(1)


def read_shard(path):
    with open(path, "rb") as handle:
        header = np.frombuffer(handle.read(HEADER_INTS * 4), dtype=np.int32)
        if len(header) != HEADER_INTS or header[0] != MAGIC or header[1] != VERSION:
            fail(f"{path} is not a token shard (bad header)")
        tokens = np.frombuffer(handle.read(), dtype=np.uint16)
    if len(tokens) != header[2]:
        fail(f"{path} holds {len(tokens)} tokens, its header says {header[2]}")
    return tokens


def test_tokens(pattern):
    """The first EVAL_TOKENS + 1 tokens of the shards matching pattern, in name order."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        fail(f"no token shards match {pattern} (the test tokens exist only in the trusted "
             "evaluation: use `validate`, or pass --tokens with shards of your own)")
    parts, total = [], 0
    for path in paths:
        parts.append(read_shard(path)[: EVAL_TOKENS + 1 - total])
        total += len(parts[-1])
        if total == EVAL_TOKENS + 1:
            break
    return np.concatenate(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="?", default="model.safetensors")
    parser.add_argument("--tokens", default=TEST_SHARDS, help="glob of the shards to score")
    args = parser.parse_args()

    tokens = test_tokens(args.tokens)
    sequences = (len(tokens) - 1) // EVAL_SEQ_LEN
    if sequences == 0:
        fail(f"the shards matching {args.tokens} hold fewer than {EVAL_SEQ_LEN + 1} tokens")
    if not os.path.isfile(args.submission):
        fail(f"no submission at {args.submission}: save your model there with model.save_model")
    try:
        model = load_model(args.submission)
    except Exception as error:  # ValueError from the checks, or anything the file makes torch raise
        fail(f"cannot use {args.submission}: {error}")

    torch.set_num_threads(cpu_threads())
    # One sequence at a time on CPUs keeps memory small: its logits alone are 1024 x vocab floats.
    # A GPU takes 8 at a time (logits of about 1.6 GB for GPT-2's vocabulary).
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    batch = 8 if device.type == "cuda" else 1
    model.to(device)
    total = 0.0
    with torch.inference_mode():
        for first in range(0, sequences, batch):
            count = min(batch, sequences - first)
            chunk = torch.from_numpy(tokens[first * EVAL_SEQ_LEN: (first + count) * EVAL_SEQ_LEN + 1].astype(np.int64))
            inputs = chunk[:-1].view(count, EVAL_SEQ_LEN).to(device)
            targets = chunk[1:].view(count, EVAL_SEQ_LEN).to(device)
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="sum").item()
            if not np.isfinite(loss):
                which = f"sequence {first}" if count == 1 else f"sequences {first} to {first + count - 1}"
                fail(f"the model's loss is not finite on {which}")
            total += loss
    print(json.dumps({"val_loss": total / (sequences * EVAL_SEQ_LEN)}))


if __name__ == "__main__":
    main()
