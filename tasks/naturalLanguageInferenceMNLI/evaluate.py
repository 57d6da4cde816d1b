"""Scores submission.csv for the MNLI task: accuracy (in percent) of the predicted labels.

Usage: python3 evaluate.py [path/to/submission.csv]   (default: submission.csv here)
MLGYM_SPLIT=validation scores the rows of data/validation.csv, anything else (default test) the
rows of data/test.csv (MNLI validation_matched), against the labels in hidden/. The submission must
hold one row per id of both files, so the same file serves `validate` and `submit`.
Prints {"validation_accuracy": percent}, MLGym's metric name, whichever split is scored.
"""

import csv
import json
import os
import sys

LABELS = {"0", "1", "2"}  # 0 entailment, 1 neutral, 2 contradiction


def fail(message):
    print(f"submission.csv is not valid: {message}", file=sys.stderr)
    sys.exit(1)


def read_ids(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return [row["id"] for row in csv.DictReader(f)]


def read_labels(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {row["id"]: row["label"] for row in csv.DictReader(f)}


def read_submission(path, expected_ids):
    """id -> label as a string, after checking the file has exactly the expected ids and valid labels."""
    if not os.path.isfile(path):
        fail(f"{path} not found; write a CSV with columns id,label (see the task description)")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in reader.fieldnames or []]
            if "id" not in columns or "label" not in columns:
                fail(f"the header must name the columns id and label, found {columns}")
            reader.fieldnames = columns
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as err:
        fail(f"cannot be read as a UTF-8 CSV file: {err}")
    predictions, duplicates, bad = {}, [], []
    for line, row in enumerate(rows, start=2):
        key, label = (row.get("id") or "").strip(), (row.get("label") or "").strip()
        if key in predictions:
            duplicates.append(key)
        # accept 1 and 1.0 (pandas writes floats when a column had NaN), nothing else
        if label.endswith(".0"):
            label = label[:-2]
        if label not in LABELS:
            bad.append(f"line {line}: {row.get('label')!r}")
        predictions[key] = label
    if bad:
        fail(f"{len(bad)} labels are not 0, 1 or 2 (integers: 0 entailment, 1 neutral, 2 contradiction), e.g. {bad[:3]}")
    if duplicates:
        fail(f"{len(duplicates)} ids appear more than once, e.g. {duplicates[:3]}")
    missing = [k for k in expected_ids if k not in predictions]
    unknown = sorted(set(predictions) - set(expected_ids))
    if missing:
        fail(f"{len(missing)} of the {len(expected_ids)} ids of data/validation.csv and data/test.csv have no row, "
             f"e.g. {missing[:3]}")
    if unknown:
        fail(f"{len(unknown)} ids are not in data/validation.csv or data/test.csv, e.g. {unknown[:3]}")
    return predictions


def main():
    split = "validation" if os.environ.get("MLGYM_SPLIT") == "validation" else "test"
    submission = sys.argv[1] if len(sys.argv) > 1 else "submission.csv"
    if not os.path.isfile(f"hidden/{split}_labels.csv"):
        sys.exit(f"hidden/{split}_labels.csv not found: only the official evaluation (validate/submit) has the labels")
    expected = read_ids("data/validation.csv") + read_ids("data/test.csv")
    predictions = read_submission(submission, expected)
    answers = read_labels(f"hidden/{split}_labels.csv")
    correct = sum(predictions[key] == label for key, label in answers.items())
    print(json.dumps({"validation_accuracy": 100 * correct / len(answers)}))


if __name__ == "__main__":
    main()
