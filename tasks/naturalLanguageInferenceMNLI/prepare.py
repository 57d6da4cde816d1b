"""Prepares the MNLI task data.

Usage: python3 prepare.py --out DIR [--small] [--source SRC]

Writes
  DIR/public/train.csv                 premise, hypothesis, label (0 entailment, 1 neutral, 2 contradiction)
  DIR/public/validation.csv            id, premise, hypothesis   (held-out slice of MNLI train, no labels)
  DIR/public/test.csv                  id, premise, hypothesis   (MNLI validation_matched, no labels)
  DIR/public/bert-base-uncased/        the pretrained model and tokenizer, for from_pretrained()
  DIR/public/tiny-bert/                (small variant only) the tiny model the small-scale baseline uses
  DIR/hidden/validation_labels.csv     id, label
  DIR/hidden/test_labels.csv           id, label

Full variant: the Hugging Face dataset nyu-mll/multi_nli (train and validation_matched, as MLGym)
and the google-bert/bert-base-uncased checkpoint, downloaded with HF_HOME as cache, or read from
--source SRC when they were downloaded by hand (see SOURCE_HELP). The `validate` split is a seeded
random slice of train that is removed from the agent's train.csv; `submit` scores validation_matched
like MLGym, so scores compare with MLGym's.

Small variant (--small, offline, seconds): synthetic premise/hypothesis pairs whose label follows
templates (subset or paraphrase -> entailment, negation -> contradiction, unrelated -> neutral) and
two RANDOMLY INITIALISED stand-ins for the pretrained model, sharing a WordPiece vocabulary built
from that text and saved in the same files as the real checkpoint: bert-base-uncased/ has
bert-base's shapes (12 layers, 768 wide; only its vocabulary is smaller), so the paper-scale
baseline builds and runs its full-size model offline; tiny-bert/ (2 layers, 64 wide) is what the
small-scale baseline fine-tunes on a CPU. Neither knows any English.
"""

import argparse
import json
import os
import random
import shutil
import sys
import zipfile
from pathlib import Path

LABELS = {"entailment": 0, "neutral": 1, "contradiction": 2}  # the Hugging Face dataset's ids
SEED = 20240501
VALIDATION_SIZE = 5000  # held out from MNLI train for `validate`
MODEL_DIR = "bert-base-uncased"
TINY_MODEL_DIR = "tiny-bert"  # small variant only: a tiny random BERT for the small scale
HF_DATASET = "nyu-mll/multi_nli"
HF_MODEL = "google-bert/bert-base-uncased"
MODEL_FILES = ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json"]
REQUIRED_MODEL_FILES = ["config.json", "model.safetensors", "vocab.txt"]

SOURCE_HELP = f"""\
Download these by hand and pass their folder as --source (`npx mlgym tasks prepare naturalLanguageInferenceMNLI --source DIR`):
  MNLI, either of
    - https://huggingface.co/datasets/{HF_DATASET}/tree/main/data : the train and validation_matched
      parquet files (paths containing "train" and "validation_matched"), anywhere under DIR, or
    - https://cims.nyu.edu/~sbowman/multinli/multinli_1.0.zip : the zip itself, or its extracted
      multinli_1.0_train.jsonl and multinli_1.0_dev_matched.jsonl, anywhere under DIR;
  BERT: from https://huggingface.co/{HF_MODEL}/tree/main the files {', '.join(MODEL_FILES)}
    (the first three required) into DIR/{MODEL_DIR}/ (or DIR itself)."""


class SourceError(Exception):
    pass


# ---------------------------------------------------------------- writing


def write_split(out, train, validation, test):
    """train/validation/test: lists of (premise, hypothesis, label)."""
    import pandas as pd

    public, hidden = out / "public", out / "hidden"
    public.mkdir(parents=True, exist_ok=True)
    hidden.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(train, columns=["premise", "hypothesis", "label"]).to_csv(public / "train.csv", index=False)
    for name, prefix, rows in (("validation", "val", validation), ("test", "test", test)):
        ids = [f"{prefix}-{i}" for i in range(len(rows))]
        frame = pd.DataFrame({"id": ids, "premise": [r[0] for r in rows], "hypothesis": [r[1] for r in rows]})
        frame.to_csv(public / f"{name}.csv", index=False)
        pd.DataFrame({"id": ids, "label": [r[2] for r in rows]}).to_csv(hidden / f"{name}_labels.csv", index=False)
    print(f"wrote {len(train)} train, {len(validation)} validation, {len(test)} test pairs to {out}")


def hold_out(rows, size):
    """Splits a seeded random `size` rows off `rows`; both parts keep their original order."""
    held = set(random.Random(SEED).sample(range(len(rows)), size))
    kept = [r for i, r in enumerate(rows) if i not in held]
    return kept, [r for i, r in enumerate(rows) if i in held]


def check_model_dir(model_dir):
    """Loads the tokenizer and config the way the agent will, so a broken download fails here."""
    from transformers import AutoConfig, BertTokenizerFast

    config = AutoConfig.from_pretrained(model_dir)
    tokenizer = BertTokenizerFast.from_pretrained(model_dir)
    ids = tokenizer("A man is reading.", "Someone reads.")["input_ids"]
    if config.model_type != "bert" or max(ids) >= config.vocab_size:
        raise SourceError(f"{model_dir} does not hold a BERT model matching its vocabulary")


# ---------------------------------------------------------------- full variant


def clean_rows(pairs):
    """Keeps pairs with a gold label (the original files mark the others with "-" or -1)."""
    rows = []
    for premise, hypothesis, label in pairs:
        if isinstance(label, str):
            label = LABELS.get(label.strip(), -1)
        if label in (0, 1, 2):
            rows.append((str(premise or ""), str(hypothesis or ""), int(label)))
    return rows


def read_parquet_rows(path):
    import pandas as pd

    frame = pd.read_parquet(path, columns=["premise", "hypothesis", "label"])
    return clean_rows(frame.itertuples(index=False, name=None))


def read_jsonl_rows(lines):
    pairs = []
    for line in lines:
        if line.strip():
            item = json.loads(line)
            pairs.append((item["sentence1"], item["sentence2"], item["gold_label"]))
    return clean_rows(pairs)


def mnli_from_source(source):
    """(train, validation_matched) rows from manually downloaded files under `source`."""
    # The hub has used both data/train-00000-of-00001.parquet and default/train/0000.parquet.
    parquet = sorted(p for p in source.rglob("*.parquet") if MODEL_DIR not in p.parts)
    train_files = [p for p in parquet if "train" in str(p.relative_to(source))]
    matched_files = [p for p in parquet if "validation_matched" in str(p.relative_to(source))]
    if train_files and matched_files:
        print(f"reading MNLI from {[str(p) for p in train_files + matched_files]}")
        train = [r for p in train_files for r in read_parquet_rows(p)]
        return train, [r for p in matched_files for r in read_parquet_rows(p)]
    train_jsonl = next(source.rglob("multinli_1.0_train.jsonl"), None)
    matched_jsonl = next(source.rglob("multinli_1.0_dev_matched.jsonl"), None)
    if train_jsonl and matched_jsonl:
        print(f"reading MNLI from {train_jsonl} and {matched_jsonl}")
        with open(train_jsonl, encoding="utf-8") as f_train, open(matched_jsonl, encoding="utf-8") as f_matched:
            return read_jsonl_rows(f_train), read_jsonl_rows(f_matched)
    archive = next(source.rglob("multinli_1.0.zip"), None)
    if archive:
        print(f"reading MNLI from {archive}")
        with zipfile.ZipFile(archive) as z:
            def lines(suffix):
                name = next(n for n in z.namelist() if n.endswith(suffix) and "__MACOSX" not in n)
                return z.read(name).decode("utf-8").splitlines()
            return read_jsonl_rows(lines("multinli_1.0_train.jsonl")), read_jsonl_rows(lines("multinli_1.0_dev_matched.jsonl"))
    raise SourceError(f"no MNLI train and validation_matched files under {source}")


def mnli_from_hub():
    from datasets import load_dataset

    print(f"downloading {HF_DATASET} (HF_HOME={os.environ.get('HF_HOME', '~/.cache/huggingface')})")
    try:
        dataset = load_dataset(HF_DATASET)
    except Exception as err:  # the hub's errors vary by cause; all mean "not reachable here"
        raise SourceError(f"could not download {HF_DATASET}: {type(err).__name__}: {err}") from err

    def rows(split):
        part = dataset[split]
        return clean_rows(zip(part["premise"], part["hypothesis"], part["label"]))

    return rows("train"), rows("validation_matched")


def model_files_from_hub():
    from huggingface_hub import snapshot_download

    print(f"downloading {HF_MODEL}")
    try:
        return Path(snapshot_download(HF_MODEL, allow_patterns=MODEL_FILES))
    except Exception as err:
        raise SourceError(f"could not download {HF_MODEL}: {type(err).__name__}: {err}") from err


def copy_model(model_src, model_dst):
    missing = [name for name in REQUIRED_MODEL_FILES if not (model_src / name).is_file()]
    if missing:
        raise SourceError(f"{model_src} lacks {', '.join(missing)}")
    model_dst.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (model_src / name).is_file():
            shutil.copyfile(model_src / name, model_dst / name)  # copyfile resolves the hub cache's symlinks


def prepare_full(out, source):
    if source:
        train, matched = mnli_from_source(source)
        # The model files in DIR/bert-base-uncased/, or at the top of DIR.
        model_src = source / MODEL_DIR if (source / MODEL_DIR).is_dir() else source
    else:
        for flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
            os.environ[flag] = "0"  # the image sets them to 1; the full prepare runs networked
        train, matched = mnli_from_hub()
        model_src = model_files_from_hub()
    copy_model(model_src, out / "public" / MODEL_DIR)
    check_model_dir(out / "public" / MODEL_DIR)
    if len(train) < 300000 or len(matched) < 9000:
        raise SourceError(f"MNLI looks incomplete: {len(train)} train and {len(matched)} validation_matched pairs")
    train, validation = hold_out(train, VALIDATION_SIZE)
    write_split(out, train, validation, matched)


# ---------------------------------------------------------------- small variant

SUBJECTS = {  # noun -> words that still describe it (paraphrase / hypernym)
    "man": ["man", "guy", "person"], "woman": ["woman", "lady", "person"],
    "boy": ["boy", "kid", "child"], "girl": ["girl", "kid", "child"],
    "teacher": ["teacher", "person"], "doctor": ["doctor", "physician"],
    "farmer": ["farmer", "worker"], "student": ["student", "person"],
    "musician": ["musician", "artist"], "chef": ["chef", "cook"],
    "nurse": ["nurse", "person"], "soldier": ["soldier", "person"],
}
ACTIVITIES = [  # (progressive, simple present)
    ("reading a book", "reads a book"), ("playing the guitar", "plays the guitar"),
    ("riding a bike", "rides a bike"), ("cooking dinner", "cooks dinner"),
    ("painting a fence", "paints a fence"), ("walking a dog", "walks a dog"),
    ("eating an apple", "eats an apple"), ("writing a letter", "writes a letter"),
    ("drinking coffee", "drinks coffee"), ("watching a movie", "watches a movie"),
    ("fixing a car", "fixes a car"), ("climbing a tree", "climbs a tree"),
    ("singing a song", "sings a song"), ("carrying a box", "carries a box"),
]
PLACES = {  # place -> paraphrases it entails
    "in the park": ["outside", "outdoors"], "at the beach": ["outdoors", "near the sea"],
    "in the kitchen": ["indoors", "inside a house"], "in the library": ["indoors", "inside a building"],
    "on the street": ["outside", "in a city"], "in the garden": ["outdoors", "outside"],
    "at the office": ["indoors", "at work"], "near the river": ["outdoors", "near water"],
    "on a train": ["traveling", "on board"], "at the market": ["outside", "shopping"],
}
ADJECTIVES = ["young", "old", "tall", "short", "happy", "tired", "busy", "smiling"]
COLORS = ["red", "blue", "green", "black", "white", "yellow"]
CLOTHES = ["shirt", "hat", "jacket", "dress", "scarf"]


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def synthetic_pair(rng):
    """One (premise, hypothesis, label); the label is decided first so classes are balanced."""
    subject, activity, place = rng.choice(list(SUBJECTS)), rng.choice(ACTIVITIES), rng.choice(list(PLACES))
    adjective, color, clothing = rng.choice(ADJECTIVES), rng.choice(COLORS), rng.choice(CLOTHES)
    dressed = rng.random() < 0.4
    who = f"{article(adjective)} {adjective} {subject}" + (f" wearing a {color} {clothing}" if dressed else "")
    if rng.random() < 0.5:
        premise = f"{who} is {activity[0]} {place} ."
    else:
        premise = f"{place} , {who} is {activity[0]} ."
    same = rng.choice(SUBJECTS[subject])
    a_same, a_adjective = f"{article(same)} {same}", f"{article(adjective)} {adjective}"
    label = rng.randrange(3)
    if label == 0:  # entailment: a part of the premise, possibly paraphrased
        options = [
            f"{a_same} is {activity[0]} .",
            f"{a_same} is {place} .",
            f"someone is {activity[0]} {rng.choice(PLACES[place])} .",
            f"{a_adjective} {same} {activity[1]} .",
            f"there is {a_same} {place} .",
            f"{a_same} is {rng.choice(PLACES[place])} .",
        ]
        if dressed:
            options.append(f"{a_same} is wearing a {color} {clothing} .")
    elif label == 2:  # contradiction: the premise's own facts negated
        options = [
            f"the {subject} is not {activity[0]} .",
            f"nobody is {activity[0]} {place} .",
            f"the {subject} is not {place} .",
            f"there is no {subject} {place} .",
            f"the {adjective} {subject} never {activity[1]} .",
        ]
        if dressed:
            options.append(f"the {subject} is not wearing a {color} {clothing} .")
    else:  # neutral: someone else doing something else, negated or not, so negation alone decides nothing
        other = rng.choice([s for s in SUBJECTS if s != subject])
        other_activity = rng.choice([a for a in ACTIVITIES if a != activity])
        other_place = rng.choice([p for p in PLACES if p != place])
        options = [
            f"{article(other)} {other} is {other_activity[0]} {other_place} .",
            f"{article(other)} {other} {other_activity[1]} .",
            f"the {other} is not {other_activity[0]} .",
            f"nobody is {other_activity[0]} {other_place} .",
            f"there is no {other} {other_place} .",
        ]
    return premise, rng.choice(options), label


def build_vocab(texts):
    """A WordPiece vocabulary: BERT's special tokens, every word of the text, then single characters
    (also as ##continuations) so that words outside the synthetic text still tokenize without [UNK]."""
    from tokenizers.pre_tokenizers import BertPreTokenizer

    splitter = BertPreTokenizer()  # BERT's own split on whitespace and punctuation
    words = sorted({w for t in texts for w, _ in splitter.pre_tokenize_str(t.lower())})
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789.,;:!?'\"-()")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    for token in words + chars + ["##" + c for c in chars]:
        if token not in vocab:
            vocab.append(token)
    return vocab


def save_random_bert(model_dir, vocab, seed, **shape):
    """A randomly initialised BERT of the given shape (BertConfig's defaults: bert-base) with the
    tokenizer of `vocab`, in the files of a real checkpoint."""
    import torch
    from transformers import BertConfig, BertForPreTraining, BertTokenizerFast

    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(model_dir / "vocab.txt"), do_lower_case=True, model_max_length=512)
    tokenizer.save_pretrained(str(model_dir))
    config = BertConfig(vocab_size=len(tokenizer), max_position_embeddings=512, **shape)
    torch.manual_seed(seed)
    # Same class as the real checkpoint (encoder, pooler and pre-training heads), randomly initialised.
    BertForPreTraining(config).save_pretrained(str(model_dir), safe_serialization=True)


def prepare_small(out):
    rng = random.Random(SEED)
    train = [synthetic_pair(rng) for _ in range(4000)]
    validation = [synthetic_pair(rng) for _ in range(500)]
    test = [synthetic_pair(rng) for _ in range(1000)]
    vocab = build_vocab([t for rows in (train, validation, test) for r in rows for t in r[:2]])
    # The small scale's model (its weights as they have always been, for the same scores) and the
    # paper scale's bert-base-shaped stand-in.
    save_random_bert(out / "public" / TINY_MODEL_DIR, vocab, SEED, hidden_size=64, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=256)
    save_random_bert(out / "public" / MODEL_DIR, vocab, SEED + 1)
    for name in (TINY_MODEL_DIR, MODEL_DIR):
        check_model_dir(out / "public" / name)
    write_split(out, train, validation, test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--small", action="store_true", help="synthetic offline sample with random BERTs")
    parser.add_argument("--source", type=Path, help="folder with manually downloaded files (see --help)")
    args = parser.parse_args()
    try:
        if args.small:
            prepare_small(args.out)
        else:
            prepare_full(args.out, args.source)
    except SourceError as err:
        print(f"error: {err}\n\n{SOURCE_HELP}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
