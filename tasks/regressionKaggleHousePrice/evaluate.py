"""Scores submission.csv for the house price task.

Usage: MLGYM_SPLIT=validation|test python3 evaluate.py [submission.csv]
The submission holds columns Id,SalePrice with one row for every house of data/validation.csv
and data/test.csv. Only the split named by MLGYM_SPLIT (default test) is scored, against the
answers in hidden/answer_<split>.csv, which only the trusted scorer has. Prints
{"rmse": ..., "r2": ...}; a malformed submission fails with the reason on stderr.
"""

import json
import math
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
SPLITS = ("validation", "test")
MAX_BYTES = 20_000_000  # a few thousand rows are a few tens of KB


def fail(message):
    print(f"evaluate.py: {message}", file=sys.stderr)
    sys.exit(1)


def load_answers():
    answers = {}
    for split in SPLITS:
        path = os.path.join(HERE, "hidden", f"answer_{split}.csv")
        if not os.path.isfile(path):
            fail(f"{path} is missing: the answers are only available to the trusted scorer, "
                 f"so score your submission with `validate`")
        answers[split] = pd.read_csv(path)
    return answers


def load_submission(path, expected_ids):
    if not os.path.isfile(path):
        fail(f"no submission file at {path}: write submission.csv with columns Id,SalePrice")
    if os.path.getsize(path) > MAX_BYTES:
        fail(f"{path} is {os.path.getsize(path)} bytes, far more than {len(expected_ids)} rows need")
    try:
        frame = pd.read_csv(path)
    except Exception as error:  # any parse error is the submission's fault
        fail(f"cannot read {path} as CSV: {error}")
    if sorted(frame.columns) != ["Id", "SalePrice"]:
        fail(f"the columns must be exactly Id,SalePrice; found {','.join(map(str, frame.columns))}")

    ids = pd.to_numeric(frame["Id"], errors="coerce")
    if ids.isna().any() or (ids != ids.round()).any():
        fail("every Id must be an integer (the Id column of validation.csv and test.csv)")
    ids = ids.astype(np.int64)
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        fail(f"{len(duplicated)} Id(s) appear more than once, e.g. {duplicated[:5].tolist()}")
    missing = sorted(set(expected_ids) - set(ids))
    unknown = sorted(set(ids) - set(expected_ids))
    if missing:
        fail(f"{len(missing)} of the {len(expected_ids)} houses of validation.csv and test.csv have "
             f"no prediction, e.g. Id {missing[:5]}: predict every row of both files")
    if unknown:
        fail(f"{len(unknown)} Id(s) are in neither validation.csv nor test.csv, e.g. {unknown[:5]}")

    prices = pd.to_numeric(frame["SalePrice"], errors="coerce").astype(float)
    bad = ids[~np.isfinite(prices)]
    if len(bad):
        fail(f"SalePrice must be a finite number; {len(bad)} row(s) are not, e.g. Id {bad.iloc[:5].tolist()}")
    return pd.Series(prices.values, index=ids.values)


def main():
    split = os.environ.get("MLGYM_SPLIT", "test")
    if split not in SPLITS:
        fail(f"MLGYM_SPLIT must be one of {SPLITS}, not {split!r}")
    answers = load_answers()
    expected_ids = pd.concat([answers[name]["Id"] for name in SPLITS]).tolist()
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "submission.csv")
    predicted = load_submission(path, expected_ids)

    truth = answers[split]["SalePrice"].to_numpy(dtype=float)
    guess = predicted.loc[answers[split]["Id"]].to_numpy()
    rmse = math.sqrt(np.mean((truth - guess) ** 2))
    r2 = 1.0 - np.sum((truth - guess) ** 2) / np.sum((truth - truth.mean()) ** 2)
    print(json.dumps({"rmse": float(rmse), "r2": float(r2)}))


if __name__ == "__main__":
    main()
