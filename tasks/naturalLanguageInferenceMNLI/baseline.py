"""Baseline: fine-tune BERT for natural language inference on MNLI and write submission.csv.

It fine-tunes a BERT model on data/train.csv with the same settings as the MLGym baseline (batch
32, learning rate 1e-7, one epoch, pairs truncated to 128 tokens), then predicts the labels of
data/validation.csv and data/test.csv. On a GPU it trains in float16 mixed precision, as MLGym's.
MLGYM_SCALE=paper fine-tunes data/bert-base-uncased; small (or unset), the small data's data/tiny-bert.

Usage: python baseline.py [--epochs N] [--lr LR] [--batch-size B] [--max-steps S] [--model DIR]
"""

import argparse
import contextlib
import os
import time

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader
from transformers import BertForSequenceClassification, BertTokenizerFast
from transformers import logging as hf_logging

hf_logging.set_verbosity_error()  # the "newly initialized classifier" warning is expected

# Paper: bert-base-uncased, MLGym's model (on the small data a random stand-in of the same shape,
# for tests). Small: the small data's tiny random BERT, which fine-tunes in seconds on a CPU (the
# real model where the data has no tiny one).
PAPER = os.environ.get("MLGYM_SCALE") == "paper"
MODEL_DIR = "data/tiny-bert" if not PAPER and os.path.isdir("data/tiny-bert") else "data/bert-base-uncased"
MAX_LENGTH = 128
NUM_LABELS = 3  # 0 entailment, 1 neutral, 2 contradiction


def cpu_count():
    """The CPUs this container may use: its affinity, capped by its cgroup quota (docker --cpus)."""
    count = len(os.sched_getaffinity(0))
    try:
        with open("/sys/fs/cgroup/cpu.max") as handle:  # "max 100000" or e.g. "200000 100000"
            quota, period = handle.read().split()
        if quota != "max":
            count = min(count, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return count


def read_csv(path):
    # keep_default_na=False: a few MNLI sentences are literally "n/a" or empty, keep them as text
    return pd.read_csv(path, keep_default_na=False, dtype={"premise": str, "hypothesis": str})


def batches(tokenizer, frame, batch_size, shuffle=False, labels=True):
    """Tokenizes each batch when it is drawn and pads it to its longest pair, which is much faster
    on CPU than padding everything to MAX_LENGTH and gives the same results."""
    def collate(rows):
        encoding = tokenizer([r[0] for r in rows], [r[1] for r in rows], max_length=MAX_LENGTH,
                             truncation=True, padding=True, return_tensors="pt")
        if labels:
            encoding["labels"] = torch.tensor([r[2] for r in rows])
        return encoding

    columns = ["premise", "hypothesis"] + (["label"] if labels else [])
    rows = list(frame[columns].itertuples(index=False, name=None))
    return DataLoader(rows, batch_size=batch_size, shuffle=shuffle, collate_fn=collate)


def predict(model, tokenizer, frame, batch_size, device):
    """The predicted labels of frame's pairs, in its order. The pairs are batched in order of length
    (in characters), so that little of each batch is padding."""
    model.eval()
    order = np.argsort((frame["premise"].str.len() + frame["hypothesis"].str.len()).to_numpy(), kind="stable")
    predictions = []
    with torch.no_grad():
        for batch in batches(tokenizer, frame.iloc[order], batch_size, labels=False):
            predictions.append(model(**batch.to(device)).logits.argmax(dim=1).cpu().numpy())
    labels = np.empty(len(frame), dtype=np.int64)
    labels[order] = np.concatenate(predictions)
    return labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-7)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    parser.add_argument("--model", default=MODEL_DIR, help=f"pretrained model folder (default {MODEL_DIR})")
    args = parser.parse_args()
    torch.manual_seed(0)
    if PAPER:  # this torch starts with one thread whatever the CPUs; small keeps it (same scores)
        torch.set_num_threads(cpu_count())
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    gpu = device.type == "cuda"

    tokenizer = BertTokenizerFast.from_pretrained(args.model)
    model = BertForSequenceClassification.from_pretrained(args.model, num_labels=NUM_LABELS).to(device)
    print(f"fine-tuning {args.model}: {model.num_parameters():,} parameters on {device}", flush=True)
    train = read_csv("data/train.csv")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, eps=1e-6, weight_decay=0.0)
    # float16 autocast with loss scaling on a GPU, as MLGym's baseline; plain float32 on CPUs.
    scaler = torch.cuda.amp.GradScaler(enabled=gpu)

    step, start = 0, time.time()
    for epoch in range(args.epochs):
        model.train()
        total_loss, seen = 0.0, 0
        for batch in batches(tokenizer, train, args.batch_size, shuffle=True):
            with torch.autocast("cuda", dtype=torch.float16) if gpu else contextlib.nullcontext():
                loss = model(**batch.to(device)).loss
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total_loss, seen, step = total_loss + loss.item(), seen + 1, step + 1
            if step % 100 == 0:
                print(f"epoch {epoch + 1} step {step}: loss {total_loss / seen:.4f} ({time.time() - start:.0f} s)", flush=True)
            if step == args.max_steps:
                break
        print(f"epoch {epoch + 1}: average training loss {total_loss / max(seen, 1):.4f} ({time.time() - start:.0f} s)",
              flush=True)
        if step == args.max_steps:
            break

    model.save_pretrained("bert_mnli_model")  # kept for further work; only submission.csv is scored
    # One file covers both splits: `validate` scores the validation ids, `submit` the test ids.
    parts = []
    for name in ("validation", "test"):
        frame = read_csv(f"data/{name}.csv")
        parts.append(pd.DataFrame({"id": frame["id"], "label": predict(model, tokenizer, frame, 128, device)}))
    pd.concat(parts).to_csv("submission.csv", index=False)
    print(f"wrote submission.csv ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
