"""Lays out a prepared image-classification dataset as a Hugging Face dataset folder.

    python3 mlgym-hub-dataset.py PREPARED OUT

PREPARED is one of our prepared copies (tasks/<id>/prepare.py): public/train and public/test
(datasets.save_to_disk; the test split without labels) and hidden/test_labels.csv (id,label).
OUT receives train-00000-of-00001.parquet and test-00000-of-00001.parquet, the test split with
its labels again, as the Hub's repository holds them: `datasets.load_dataset(OUT)` (or, from the
folder holding OUT, `load_dataset("<owner>/<name>")`) then returns the splits MLGym's baselines
and evaluators read, offline.
"""

import csv
import os
import sys

from datasets import load_from_disk


def main(prepared, out):
    # In memory: the prepared copy is read-only and the cast below must not write caches beside it.
    train = load_from_disk(os.path.join(prepared, "public", "train"), keep_in_memory=True)
    test = load_from_disk(os.path.join(prepared, "public", "test"), keep_in_memory=True)
    with open(os.path.join(prepared, "hidden", "test_labels.csv"), newline="") as f:
        labels = {int(row["id"]): int(row["label"]) for row in csv.DictReader(f)}
    if sorted(labels) != list(range(len(test))):
        sys.exit(f"{prepared}: test_labels.csv does not label the {len(test)} test rows 0..{len(test) - 1}")
    test = test.add_column("label", [labels[i] for i in range(len(test))])
    test = test.cast_column("label", train.features["label"])
    os.makedirs(out, exist_ok=True)
    for split, dataset in (("train", train), ("test", test)):
        dataset.to_parquet(os.path.join(out, f"{split}-00000-of-00001.parquet"))
    print(f"{out}: {len(train)} train and {len(test)} test rows")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
