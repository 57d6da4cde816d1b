"""Prepares the Fashion-MNIST data of the task.

  python3 prepare.py --out DIR            the real Fashion-MNIST from the Hugging Face Hub
                                          (zalando-datasets/fashion_mnist)
  python3 prepare.py --out DIR --source S the real Fashion-MNIST from files downloaded by hand into S
  python3 prepare.py --out DIR --small    a small generated stand-in (offline, seeded, seconds)

Writes (all with `datasets.Dataset.save_to_disk`, except the CSV files):
  DIR/public/train/                 60,000 rows: image (28x28 grayscale), label (ClassLabel, 10 names)
  DIR/public/test/                  10,000 rows: image only, in the order the submission must follow
  DIR/public/sample_submission.csv  the submission format: one `label` per test image
  DIR/hidden/test_labels.csv        id,label of the test images (only the evaluator sees it)
The train/test split is Fashion-MNIST's own (and MLGym's).

Files accepted in --source (any one set):
  - the Hub's parquet files, train-00000-of-00001.parquet and test-00000-of-00001.parquet
    (https://huggingface.co/datasets/zalando-datasets/fashion_mnist/tree/main/fashion_mnist)
  - the four original files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
    t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, gzipped or not
    (https://github.com/zalandoresearch/fashion-mnist#get-the-data)
"""

import argparse
import csv
import gzip
import os
import sys
from pathlib import Path

import numpy as np

HUB_ID = "zalando-datasets/fashion_mnist"
# The names of the Hub's ClassLabel, spelled as there.
CLASS_NAMES = ["T - shirt / top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SIZE = 28
SMALL_TRAIN, SMALL_TEST = 3000, 1000
DOWNLOAD_HELP = f"""Could not get Fashion-MNIST. Download one of these into a folder and pass it with --source:
  - train-00000-of-00001.parquet and test-00000-of-00001.parquet from
    https://huggingface.co/datasets/{HUB_ID}/tree/main/fashion_mnist
  - train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
    t10k-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist#get-the-data
(or run without --source where the Hugging Face Hub is reachable)."""


def features(with_label=True):
    from datasets import ClassLabel, Features, Image

    columns = {"image": Image()}
    if with_label:
        columns["label"] = ClassLabel(names=CLASS_NAMES)
    return Features(columns)


def from_arrays(images, labels):
    """A dataset from uint8 arrays (N, 28, 28) and integer labels; 2-D arrays become mode L PNGs."""
    from datasets import Dataset

    return Dataset.from_dict({"image": list(images), "label": [int(x) for x in labels]}, features=features())


# --- the real data ------------------------------------------------------------------------------

def load_hub():
    # The image sets the offline flags for sandboxes; the full prepare is where downloading is wanted.
    os.environ["HF_HUB_OFFLINE"] = "0"
    os.environ["HF_DATASETS_OFFLINE"] = "0"
    from datasets import load_dataset

    data = load_dataset(HUB_ID)
    return data["train"], data["test"]


def read_idx(path):
    """An IDX file (big-endian: 2 zero bytes, type 0x08 = unsigned byte, rank, the sizes, data)."""
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
        blob = f.read()
    if blob[:3] != b"\0\0\x08":
        sys.exit(f"prepare.py: {path} is not an IDX file of unsigned bytes")
    rank = blob[3]
    shape = tuple(int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    return np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load_source(source):
    parquet = {split: sorted(source.rglob(f"{split}-*.parquet")) for split in ("train", "test")}
    if parquet["train"] and parquet["test"]:
        from datasets import Dataset

        def read(files):
            data = Dataset.from_parquet([str(f) for f in files])
            return data.cast(features()) if data.features != features() else data

        return read(parquet["train"]), read(parquet["test"])

    def find(stem):
        found = sorted(source.rglob(stem + ".gz")) + sorted(source.rglob(stem))
        return found[0] if found else None

    names = {"train": "train", "test": "t10k"}
    files = {(split, kind): find(f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte")
             for split, prefix in names.items() for kind in ("images", "labels")}
    if not all(files.values()):
        sys.exit(f"prepare.py: no Fashion-MNIST files found in {source}.\n{DOWNLOAD_HELP}")
    return tuple(from_arrays(read_idx(files[split, "images"]), read_idx(files[split, "labels"]))
                 for split in names)


# --- the small generated stand-in ---------------------------------------------------------------
# Each class is a crude grey silhouette of its garment (boxes on a 28x28 design grid) that is
# scaled, shifted, shaded and noised per image. Shirts borrow the sleeves of T-shirts or
# pullovers, so, as in the real data, shirts, pullovers, coats and T-shirts get confused.

def silhouette(label, u, v, rng):
    """(shape mask, dark-detail mask) of class `label` on the design coordinates u (x), v (y)."""
    def box(top, bottom, left, right):
        return (v >= top) & (v < bottom) & (u >= left) & (u < right)

    nothing = np.zeros_like(u, dtype=bool)
    torso = box(5, 24, 8, 20)
    short_sleeves = box(5, 11, 3, 25)
    long_sleeves = box(5, 22, 3, 8) | box(5, 22, 20, 25)
    if label == 0:    # T-shirt / top
        return torso | short_sleeves, nothing
    if label == 1:    # trouser: waistband and two legs
        return box(3, 7, 9, 19) | box(7, 26, 9, 13) | box(7, 26, 15, 19), nothing
    if label == 2:    # pullover
        return torso | long_sleeves, nothing
    if label == 3:    # dress: widening downwards
        half_width = 3 + (v - 3) * 0.3
        return (v >= 3) & (v < 26) & (np.abs(u - 14) < half_width), nothing
    if label == 4:    # coat: longer, long sleeves, dark opening down the middle
        return box(4, 26, 8, 20) | long_sleeves, box(6, 26, 13.3, 14.7)
    if label == 5:    # sandal: thin straps over a sole
        straps = box(14, 15.5, 6, 22) | box(17.5, 19, 4, 24)
        return straps | box(21, 23, 2, 26), nothing
    if label == 6:    # shirt: sleeves of either kind, a dark collar opening and a button line
        sleeves = long_sleeves if rng.random() < 0.5 else short_sleeves
        return torso | sleeves, box(5, 9, 12, 16) | box(9, 24, 13.6, 14.4)
    if label == 7:    # sneaker: low, its top sloping up towards the heel
        return (v < 24) & (u >= 2) & (u < 26) & (v >= 20 - (26 - u) * 0.25), nothing
    if label == 8:    # bag: a box with a handle
        ring = np.abs(np.hypot(u - 14, (v - 10) * 1.3) - 6) < 1.2
        return box(10, 25, 4, 24) | (ring & (v < 10)), nothing
    # ankle boot: shaft and foot
    return box(6, 24, 13, 22) | box(17, 24, 3, 22), nothing


def generate(count, rng):
    labels = rng.integers(0, len(CLASS_NAMES), count)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5
    images = np.empty((count, SIZE, SIZE), dtype=np.uint8)
    for i, label in enumerate(labels):
        scale = rng.uniform(0.75, 1.2, 2)  # width and height separately
        shift = rng.uniform(-2.5, 2.5, 2)
        u = (x - 14 - shift[0]) / scale[0] + 14
        v = (y - 14 - shift[1]) / scale[1] + 14
        shape, detail = silhouette(label, u, v, rng)
        brightness = rng.uniform(90, 240)
        # shading across the garment, as folds and prints do in the photos
        image = shape * brightness * (1 + rng.uniform(-0.35, 0.35) * (y - 14) / 14)
        image[detail & shape] *= rng.uniform(0.2, 0.9)
        image += rng.normal(0, 45, image.shape)
        images[i] = np.clip(image, 0, 255).astype(np.uint8)
    return images, labels


def load_small():
    rng = np.random.default_rng(20241122)
    images, labels = generate(SMALL_TRAIN + SMALL_TEST, rng)
    return (from_arrays(images[:SMALL_TRAIN], labels[:SMALL_TRAIN]),
            from_arrays(images[SMALL_TRAIN:], labels[SMALL_TRAIN:]))


# --- output -------------------------------------------------------------------------------------

def write(out, train, test):
    public, hidden = out / "public", out / "hidden"
    hidden.mkdir(parents=True, exist_ok=True)
    train.save_to_disk(str(public / "train"))
    test_labels = test["label"]
    test.remove_columns("label").save_to_disk(str(public / "test"))
    with open(hidden / "test_labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "label"])
        writer.writerows(enumerate(test_labels))
    with open(public / "sample_submission.csv", "w", newline="") as f:
        # the format only: every image called a T-shirt
        f.write("label\n" + "0\n" * len(test_labels))
    print(f"wrote {len(train)} training and {len(test_labels)} test images to {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--small", action="store_true", help="generate a small offline stand-in")
    parser.add_argument("--source", type=Path, help="folder with Fashion-MNIST downloaded by hand")
    args = parser.parse_args()
    if args.small:
        train, test = load_small()
    elif args.source:
        train, test = load_source(args.source)
    else:
        try:
            train, test = load_hub()
        except Exception as err:  # no network, hub down, rate limits: all need the same advice
            sys.exit(f"prepare.py: downloading {HUB_ID} failed: {type(err).__name__}: {err}\n{DOWNLOAD_HELP}")
    if list(train.features) != ["image", "label"] or list(test.features) != ["image", "label"]:
        sys.exit(f"prepare.py: unexpected columns {list(train.features)} / {list(test.features)}")
    write(args.out, train, test)


if __name__ == "__main__":
    main()
