"""Prepares the CIFAR-10 data of the task.

  python3 prepare.py --out DIR            the real CIFAR-10 from the Hugging Face Hub (uoft-cs/cifar10)
  python3 prepare.py --out DIR --source S the real CIFAR-10 from files downloaded by hand into S
  python3 prepare.py --out DIR --small    a small generated stand-in (offline, seeded, seconds)

Writes (all with `datasets.Dataset.save_to_disk`, except the CSV files):
  DIR/public/train/                 50,000 rows: img (32x32 RGB image), label (ClassLabel, 10 names)
  DIR/public/test/                  10,000 rows: img only, in the order the submission must follow
  DIR/public/sample_submission.csv  the submission format: one `label` per test image
  DIR/hidden/test_labels.csv        id,label of the test images (only the evaluator sees it)
The train/test split is CIFAR-10's own (and MLGym's): the five training batches and the test batch.

Files accepted in --source (any one of them):
  - the Hub's parquet files, train-00000-of-00001.parquet and test-00000-of-00001.parquet
    (https://huggingface.co/datasets/uoft-cs/cifar10/tree/main/plain_text)
  - the binary version of the original archive, cifar-10-binary.tar.gz, packed or unpacked
    (https://www.cs.toronto.edu/~kriz/cifar.html); chosen over the Python version, which is pickled.
"""

import argparse
import csv
import os
import sys
import tarfile
from pathlib import Path

import numpy as np

HUB_ID = "uoft-cs/cifar10"
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SIZE = 32
SMALL_TRAIN, SMALL_TEST = 3000, 1000
DOWNLOAD_HELP = f"""Could not get CIFAR-10. Download one of these into a folder and pass it with --source:
  - train-00000-of-00001.parquet and test-00000-of-00001.parquet from
    https://huggingface.co/datasets/{HUB_ID}/tree/main/plain_text
  - cifar-10-binary.tar.gz (the "CIFAR-10 binary version") from https://www.cs.toronto.edu/~kriz/cifar.html
(or run without --source where the Hugging Face Hub is reachable)."""


def features(with_label=True):
    from datasets import ClassLabel, Features, Image

    columns = {"img": Image()}
    if with_label:
        columns["label"] = ClassLabel(names=CLASS_NAMES)
    return Features(columns)


def from_arrays(images, labels):
    """A train dataset from uint8 arrays (N, 32, 32, 3) and integer labels."""
    from datasets import Dataset

    return Dataset.from_dict({"img": list(images), "label": [int(x) for x in labels]}, features=features())


# --- the real data ------------------------------------------------------------------------------

def load_hub():
    # The image sets the offline flags for sandboxes; the full prepare is where downloading is wanted.
    os.environ["HF_HUB_OFFLINE"] = "0"
    os.environ["HF_DATASETS_OFFLINE"] = "0"
    from datasets import load_dataset

    data = load_dataset(HUB_ID)
    return data["train"], data["test"]


def read_cifar_binary(blob):
    """Records of 1 label byte then 3,072 pixel bytes (red, green, blue planes of 32x32)."""
    records = np.frombuffer(blob, dtype=np.uint8).reshape(-1, 1 + 3 * SIZE * SIZE)
    images = records[:, 1:].reshape(-1, 3, SIZE, SIZE).transpose(0, 2, 3, 1)
    return images, records[:, 0]


def load_binary_batches(read):
    """`read(name)` returns the bytes of one batch file of cifar-10-batches-bin."""
    train = [read(f"data_batch_{i}.bin") for i in range(1, 6)]
    train_images, train_labels = read_cifar_binary(b"".join(train))
    test_images, test_labels = read_cifar_binary(read("test_batch.bin"))
    return from_arrays(train_images, train_labels), from_arrays(test_images, test_labels)


def load_source(source):
    parquet = {split: sorted(source.rglob(f"{split}-*.parquet")) for split in ("train", "test")}
    if parquet["train"] and parquet["test"]:
        from datasets import Dataset

        def read(files):
            data = Dataset.from_parquet([str(f) for f in files])
            return data.cast(features()) if data.features != features() else data

        return read(parquet["train"]), read(parquet["test"])
    archives = sorted(source.rglob("cifar-10-binary.tar.gz"))
    if archives:
        with tarfile.open(archives[0]) as archive:
            members = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
            return load_binary_batches(lambda name: archive.extractfile(members[name]).read())
    unpacked = sorted(source.rglob("test_batch.bin"))
    if unpacked:
        return load_binary_batches(lambda name: (unpacked[0].parent / name).read_bytes())
    sys.exit(f"prepare.py: no CIFAR-10 files found in {source}.\n{DOWNLOAD_HELP}")


# --- the small generated stand-in ---------------------------------------------------------------

def shape_mask(kind, x, y, radius):
    """Boolean mask of shape number `kind` centred at the origin of the grids x, y."""
    ax, ay = np.abs(x), np.abs(y)
    arm = radius / 3
    dot = lambda cx: (x - cx) ** 2 + y * y <= 2 * arm * arm
    bar = lambda long, short: (long <= radius) & (short <= arm)
    shapes = [
        lambda: x * x + y * y <= radius * radius,                                 # disc
        lambda: np.maximum(ax, ay) <= radius * 0.8,                               # square
        lambda: (y <= radius * 0.7) & (y >= 2 * ax - radius),                     # triangle
        lambda: np.abs(np.sqrt(x * x + y * y) - radius * 0.75) <= radius * 0.25,  # ring
        lambda: bar(ax, ay),                                                      # horizontal bar
        lambda: bar(ay, ax),                                                      # vertical bar
        lambda: bar(ax, ay) | bar(ay, ax),                                        # plus
        lambda: (np.abs(ax - ay) <= arm) & (np.maximum(ax, ay) <= radius),        # X
        lambda: ax + ay <= radius,                                                # diamond
        lambda: dot(-radius / 2) | dot(radius / 2),                               # two dots
    ]
    return shapes[kind]()


def generate(count, rng):
    """Images whose class shows as a shape and a typical colour, with clutter and pixel noise so
    a small CNN learns it quickly without getting everything right."""
    labels = rng.integers(0, len(CLASS_NAMES), count)
    # Each class has a typical foreground colour, but jittered strongly enough that colour alone
    # does not tell all classes apart; the shape does.
    class_colours = rng.uniform(40, 215, (len(CLASS_NAMES), 3))
    grid_y, grid_x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    images = np.empty((count, SIZE, SIZE, 3), dtype=np.uint8)
    for i, label in enumerate(labels):
        background = rng.uniform(0, 255, 3)
        image = np.ones((SIZE, SIZE, 3), np.float32) * background
        shapes = [(label, class_colours[label] + rng.normal(0, 25, 3))]
        if rng.random() < 0.5:  # a distractor of a random class and colour, under the real shape
            shapes.insert(0, (rng.integers(0, len(CLASS_NAMES)), rng.uniform(0, 255, 3)))
        for kind, colour in shapes:
            centre = rng.uniform(10, 22, 2)
            radius = rng.uniform(5, 10)
            image[shape_mask(kind, grid_x - centre[0], grid_y - centre[1], radius)] = colour
        image += rng.normal(0, 20, image.shape)
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
        # the format only: every image called an airplane
        f.write("label\n" + "0\n" * len(test_labels))
    print(f"wrote {len(train)} training and {len(test_labels)} test images to {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--small", action="store_true", help="generate a small offline stand-in")
    parser.add_argument("--source", type=Path, help="folder with CIFAR-10 downloaded by hand")
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
    if list(train.features) != ["img", "label"] or list(test.features) != ["img", "label"]:
        sys.exit(f"prepare.py: unexpected columns {list(train.features)} / {list(test.features)}")
    write(args.out, train, test)


if __name__ == "__main__":
    main()
