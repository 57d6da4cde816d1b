"""Scores the captions in submission.csv against the held-out reference captions.

Usage: python3 evaluate.py [path/to/submission.csv]   (default: submission.csv here)

The submission is a CSV file with exactly the columns file_name and caption, and one row for
every image of data/val_images.parquet and data/test_images.parquet (both splits, in any order).
MLGYM_SPLIT picks the images that are scored: `validation` (the val images) or `test` (the
default). Each caption gets the character-level BLEU-4 of MLGym's baseline, averaged over the
image's reference captions (see bleu.py); "BLEU Score" is the mean over the scored images.
The references are read from hidden/, which only this trusted evaluation can see.
Prints one JSON object; a malformed submission exits with status 1 and the reason on stderr.
"""

import csv
import io
import json
import os
import sys

sys.dont_write_bytecode = True  # so importing bleu writes no __pycache__ where it is run
import pandas as pd  # noqa: E402
import bleu  # noqa: E402  (after the line above on purpose)

HERE = os.path.dirname(os.path.abspath(__file__))
SPLITS = {"validation": "val", "test": "test"}  # MLGYM_SPLIT -> file prefix
COLUMNS = ["file_name", "caption"]
MAX_CAPTION_CHARS = 500
MAX_FILE_BYTES = 64 << 20


def fail(message):
    print(f"evaluate.py: invalid submission: {message}", file=sys.stderr)
    sys.exit(1)


def load_references(split):
    """file_name -> list of bleu.Reference for one split ('val' or 'test')."""
    table = pd.read_parquet(os.path.join(HERE, "hidden", f"{split}_references.parquet"), columns=["file_name", "anns"])
    return {name: [bleu.Reference(a["caption"]) for a in anns] for name, anns in zip(table.file_name, table.anns)}


def expected_names(split):
    return pd.read_parquet(os.path.join(HERE, "hidden", f"{split}_references.parquet"), columns=["file_name"]).file_name.tolist()


def read_submission(path, expected):
    """The captions of `path` as {file_name: caption}, after checking every row (never trusting it).
    `expected` lists the file names that need a row."""
    wanted = set(expected)
    if not os.path.isfile(path):
        fail(f"{path} not found: write one row per val and test image with the columns file_name,caption")
    if os.path.getsize(path) > MAX_FILE_BYTES:
        fail(f"{path} is larger than {MAX_FILE_BYTES >> 20} MB")
    with open(path, "rb") as f:
        try:
            text = f.read().decode("utf-8-sig")
        except UnicodeDecodeError as err:
            fail(f"{path} is not UTF-8 text ({err})")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        fail(f"{path} is empty: its first line must be the header file_name,caption")
    header = [h.strip() for h in header]
    extra = [h for h in header if h not in COLUMNS]
    if any("bleu" in h.lower() for h in extra):
        fail(f"it has a column {[h for h in extra if 'bleu' in h.lower()][0]!r}, but scores are not submitted: "
             "the evaluator computes BLEU from your captions. Submit exactly the columns file_name,caption")
    if sorted(header) != sorted(COLUMNS):
        fail(f"the columns must be exactly file_name,caption (found {','.join(header)})")
    name_col, caption_col = header.index("file_name"), header.index("caption")
    captions = {}
    try:
        for line, row in enumerate(reader, start=2):
            if not row:
                continue  # a blank line
            if len(row) != len(COLUMNS):
                fail(f"line {line} has {len(row)} fields instead of 2 (quote captions that contain commas)")
            name, caption = row[name_col].strip(), row[caption_col].strip()
            if name not in wanted:
                fail(f"line {line}: {name!r} is not a val or test image (see data/val_images.parquet and "
                     "data/test_images.parquet)")
            if name in captions:
                fail(f"line {line}: a second row for {name}")
            if not caption or caption.lower() == "nan":
                fail(f"line {line}: the caption of {name} is empty")
            if len(caption) > MAX_CAPTION_CHARS:
                fail(f"line {line}: the caption of {name} is longer than {MAX_CAPTION_CHARS} characters")
            captions[name] = caption
    except csv.Error as err:
        fail(f"{path} is not valid CSV ({err})")
    missing = [name for name in expected if name not in captions]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        fail(f"{len(missing)} of the {len(expected)} val and test images have no row: {shown}")
    return captions


def main():
    split_name = os.environ.get("MLGYM_SPLIT", "test")
    if split_name not in SPLITS:
        sys.exit(f"evaluate.py: MLGYM_SPLIT must be one of {', '.join(SPLITS)}, not {split_name!r}")
    if not os.path.isdir(os.path.join(HERE, "hidden")):
        sys.exit("evaluate.py: the reference captions (hidden/) exist only in the trusted evaluation: "
                 "use the `validate` command to score your submission.csv")
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "submission.csv")
    # Every submission covers both splits, so a file that validates is also a complete submission.
    expected = expected_names("val") + expected_names("test")
    captions = read_submission(path, expected)
    references = load_references(SPLITS[split_name])
    scores = [bleu.caption_score(refs, captions[name]) for name, refs in references.items()]
    print(json.dumps({"BLEU Score": sum(scores) / len(scores)}))


if __name__ == "__main__":
    main()
