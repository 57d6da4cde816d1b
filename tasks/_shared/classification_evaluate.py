"""Scores submission.csv against the hidden test labels of an image classification task (CIFAR-10,
Fashion-MNIST: 10 classes); each task links its evaluate.py here.

Usage: python3 evaluate.py [--submission_file submission.csv]
Prints {"accuracy": ...}, the fraction of test images whose predicted class is right. A malformed
submission (no `label` column, wrong row count, a value that is not a class number 0-9) is an error:
the reason goes to stderr and the exit status is 1.
"""

import argparse
import csv
import json
import sys

CLASSES = 10
LABELS_FILE = "hidden/test_labels.csv"  # id,label in the order of data/test


def fail(message):
    print(f"evaluate.py: {message}", file=sys.stderr)
    sys.exit(1)


def read_labels(path, expected):
    """The `label` column of the submission as integers, checked one by one."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = reader.fieldnames or []
    except FileNotFoundError:
        fail(f"{path} not found: write one predicted label per test image to {path}")
    except (UnicodeDecodeError, csv.Error) as err:
        fail(f"{path} is not a readable CSV file: {err}")
    if "label" not in columns:
        fail(f"{path} needs a column named `label` (found: {', '.join(columns) or 'an empty file'})")
    if len(rows) != expected:
        fail(f"{path} has {len(rows)} rows but the test set has {expected} images: one row per image, in order")
    labels = []
    for line, row in enumerate(rows, start=2):
        raw = (row["label"] or "").strip()
        try:
            value = float(raw)
        except ValueError:
            fail(f"{path} line {line}: label {raw!r} is not a number")
        # Accept 3.0 as 3 (pandas writes floats that way), but not 3.5, NaN or infinities.
        if not value.is_integer() or not 0 <= value < CLASSES:
            fail(f"{path} line {line}: label {raw!r} is not a class number between 0 and {CLASSES - 1}")
        labels.append(int(value))
    return labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--submission_file", default="submission.csv")
    args = parser.parse_args()
    with open(LABELS_FILE, newline="") as f:
        truth = [int(row["label"]) for row in csv.DictReader(f)]
    predicted = read_labels(args.submission_file, len(truth))
    accuracy = sum(p == t for p, t in zip(predicted, truth)) / len(truth)
    print(json.dumps({"accuracy": accuracy}))


if __name__ == "__main__":
    main()
