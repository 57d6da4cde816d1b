"""Baseline: fine-tune BERT for natural language inference on MNLI and write submission.csv.

It fine-tunes the pretrained model in data/bert-base-uncased on data/train.csv with the same
settings as the MLGym baseline (batch 32, learning rate 1e-7, one epoch, pairs truncated to 128
tokens), then predicts the labels of data/validation.csv and data/test.csv.

Usage: python baseline.py [--epochs N] [--lr LR] [--batch-size B] [--max-steps S]
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader
from transformers import BertForSequenceClassification, BertTokenizerFast
from transformers import logging as hf_logging

hf_logging.set_verbosity_error()  # the "newly initialized classifier" warning is expected

MODEL_DIR = "data/bert-base-uncased"
MAX_LENGTH = 128
NUM_LABELS = 3  # 0 entailment, 1 neutral, 2 contradiction


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


def predict(model, tokenizer, frame, batch_size):
    model.eval()
    predictions = []
    with torch.no_grad():
        for batch in batches(tokenizer, frame, batch_size, labels=False):
            predictions.append(model(**batch).logits.argmax(dim=1).numpy())
    return np.concatenate(predictions)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-7)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    args = parser.parse_args()
    torch.manual_seed(0)

    tokenizer = BertTokenizerFast.from_pretrained(MODEL_DIR)
    model = BertForSequenceClassification.from_pretrained(MODEL_DIR, num_labels=NUM_LABELS)
    train = read_csv("data/train.csv")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, eps=1e-6, weight_decay=0.0)

    step, start = 0, time.time()
    for epoch in range(args.epochs):
        model.train()
        total_loss, seen = 0.0, 0
        for batch in batches(tokenizer, train, args.batch_size, shuffle=True):
            loss = model(**batch).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss, seen, step = total_loss + loss.item(), seen + 1, step + 1
            if step % 100 == 0:
                print(f"epoch {epoch + 1} step {step}: loss {total_loss / seen:.4f} ({time.time() - start:.0f} s)", flush=True)
            if step == args.max_steps:
                break
        print(f"epoch {epoch + 1}: average training loss {total_loss / max(seen, 1):.4f}", flush=True)
        if step == args.max_steps:
            break

    model.save_pretrained("bert_mnli_model")  # kept for further work; only submission.csv is scored
    # One file covers both splits: `validate` scores the validation ids, `submit` the test ids.
    parts = []
    for name in ("validation", "test"):
        frame = read_csv(f"data/{name}.csv")
        parts.append(pd.DataFrame({"id": frame["id"], "label": predict(model, tokenizer, frame, 128)}))
    pd.concat(parts).to_csv("submission.csv", index=False)
    print(f"wrote submission.csv ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
