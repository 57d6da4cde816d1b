"""Prepares the data of imageCaptioningCOCO.

    python3 prepare.py --out DIR [--small] [--source SRC]

Writes, with the layout and columns of MLGym's data folder:
  DIR/public/train_images.parquet   one row per training image: COCO's image fields (license,
                                    file_name, coco_url, height, width, date_captured, flickr_url,
                                    id) and `anns`, the list of its captions ({caption, id, image_id})
  DIR/public/val_images.parquet     the same without `anns` (validation images)
  DIR/public/test_images.parquet    the same without `anns` (test images)
  DIR/public/{train,val,test}/      the image files, named by `file_name`
  DIR/public/sample_submission.csv  the submission format: file_name,caption for every val and
                                    test image (with a placeholder caption)
  DIR/public/resnet50.safetensors   the weights of the paper-scale baseline's encoder: full variant,
                                    torchvision's ImageNet ResNet-50 (IMAGENET1K_V1, what MLGym's
                                    resnet50(pretrained=True) loads); small variant, RANDOM weights
                                    of the same shapes (metadata weights=random), so that the
                                    paper-size model can be built offline
  DIR/hidden/{val,test}_references.parquet   the val/test rows with their `anns` (the answers)

Full variant: MS-COCO 2014 (https://cocodataset.org). MLGym used 37,609 train2014 images for
training and two disjoint sets of 9,435 val2014 images for validation and test; its exact image
lists were not published, so the same numbers of images are drawn here with a fixed seed. The
three official archives are downloaded into /cache/coco (the engine's download cache), or read
from --source SRC, a folder holding train2014.zip, val2014.zip and
annotations_trainval2014.zip (or their extracted folders train2014/, val2014/, annotations/).
The ResNet-50 weights come from --source SRC as well (resnet50-0676ba61.pth from torchvision, or
model.safetensors from the Hugging Face Hub's timm/resnet50.tv_in1k, or resnet50.safetensors as
written here), else from torchvision's download URL, else from the Hub.

Small variant (--small): a few hundred tiny generated pictures of one coloured shape on a
coloured background, each with 5 template captions ("a red circle on a blue background", ...),
with the same files and columns, and randomly initialised ResNet-50 weights; offline, seeded, a
few seconds.
"""

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tempfile
import urllib.request
import zipfile

import pandas as pd
from PIL import Image, ImageDraw

SEED = 20240229
IMAGE_FIELDS = ["license", "file_name", "coco_url", "height", "width", "date_captured", "flickr_url", "id"]
SPLIT_SIZES = {"train": 37609, "val": 9435, "test": 9435}  # MLGym's row counts

ARCHIVES = {
    "train2014": "http://images.cocodataset.org/zips/train2014.zip",
    "val2014": "http://images.cocodataset.org/zips/val2014.zip",
    "annotations": "http://images.cocodataset.org/annotations/annotations_trainval2014.zip",
}
ARCHIVE_FILES = {"train2014": "train2014.zip", "val2014": "val2014.zip", "annotations": "annotations_trainval2014.zip"}

RESNET_FILE = "resnet50.safetensors"  # in public/, so the sandbox reads data/resnet50.safetensors
# torchvision's ImageNet ResNet-50 (IMAGENET1K_V1): the file name holds its SHA-256's first 8 digits.
RESNET_URL = "https://download.pytorch.org/models/resnet50-0676ba61.pth"
RESNET_HUB = ("timm/resnet50.tv_in1k", "model.safetensors")  # the same weights on the Hugging Face Hub


# ---------------------------------------------------------------- output

def write_split(out, split, rows, images):
    """Writes one split: the images, the public table and (for val/test) the hidden references.
    `rows` are dicts with IMAGE_FIELDS and `anns`; `images` maps file_name -> JPEG bytes, or is a
    function returning them (so the full variant streams images out of the archives)."""
    folder = os.path.join(out, "public", split)
    os.makedirs(folder, exist_ok=True)
    for row in rows:
        data = images(row) if callable(images) else images[row["file_name"]]
        with open(os.path.join(folder, row["file_name"]), "wb") as f:
            f.write(data)
    table = pd.DataFrame(rows, columns=IMAGE_FIELDS + ["anns"])
    if split == "train":
        table.to_parquet(os.path.join(out, "public", "train_images.parquet"), index=False)
    else:
        # The captions of val/test images are the answers: only the evaluator gets them.
        table[IMAGE_FIELDS].to_parquet(os.path.join(out, "public", f"{split}_images.parquet"), index=False)
        os.makedirs(os.path.join(out, "hidden"), exist_ok=True)
        table.to_parquet(os.path.join(out, "hidden", f"{split}_references.parquet"), index=False)
    print(f"{split}: {len(rows)} images, {sum(len(r['anns']) for r in rows)} captions", flush=True)


def write_sample_submission(out, names):
    pd.DataFrame({"file_name": names, "caption": "a picture of something"}).to_csv(
        os.path.join(out, "public", "sample_submission.csv"), index=False)


# ---------------------------------------------------------------- the encoder's weights

def save_resnet(out, state, metadata):
    """Writes a torchvision ResNet-50 state dict as public/resnet50.safetensors (a safe format: the
    starter loads it without unpickling anything), after checking its names and shapes."""
    import torchvision
    from safetensors.torch import save_file

    model = torchvision.models.resnet50()
    missing, unexpected = model.load_state_dict(state, strict=False)
    # Some exports drop the batch norms' step counters, which inference never reads.
    if unexpected or any(not name.endswith("num_batches_tracked") for name in missing):
        raise ValueError(f"not a torchvision ResNet-50 state dict (missing {missing[:3]}, unexpected {unexpected[:3]})")
    os.makedirs(os.path.join(out, "public"), exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(out, "public", RESNET_FILE), metadata=metadata)


def read_weights(path):
    """A state dict from a .safetensors file, or from torchvision's .pth (tensors only, checked
    against the SHA-256 prefix in its name)."""
    if path.endswith(".safetensors"):
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(path, "pt") as f:
            if (f.metadata() or {}).get("weights") == "random":
                raise ValueError("it holds the small data's random weights, not ImageNet's")
        return load_file(path)
    import torch
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    expected = os.path.basename(RESNET_URL).split("-")[1].split(".")[0]
    if not digest.startswith(expected):
        raise ValueError(f"{path} has SHA-256 {digest[:8]}..., not torchvision's {expected}...")
    return torch.load(path, map_location="cpu", weights_only=True)


def fetch_resnet(folder):
    """Downloads the weights into `folder`: torchvision's file, else the Hub's copy. Returns
    (path, where from), or gives up saying what to download."""
    errors = []
    target = os.path.join(folder, os.path.basename(RESNET_URL))
    print(f"downloading {RESNET_URL} ...", flush=True)
    try:
        with urllib.request.urlopen(RESNET_URL, timeout=30) as response, open(target + ".part", "wb") as f:
            shutil.copyfileobj(response, f, length=1 << 20)
        os.replace(target + ".part", target)
        return target, RESNET_URL
    except OSError as err:
        errors.append(f"{RESNET_URL}: {err}")
    try:
        # The image sets the offline flags for sandboxes; the full prepare is where downloading is wanted.
        os.environ["HF_HUB_OFFLINE"] = "0"
        from huggingface_hub import hf_hub_download

        return hf_hub_download(*RESNET_HUB), f"https://huggingface.co/{RESNET_HUB[0]}"
    except Exception as err:  # no network, hub down, rate limits: all need the same advice
        errors.append(f"{RESNET_HUB[0]} on the Hugging Face Hub: {type(err).__name__}: {err}")
    give_up("downloading the ResNet-50 weights failed: " + "; ".join(errors))


def prepare_resnet(out, source_dir):
    """public/resnet50.safetensors with the ImageNet weights, from --source or downloaded."""
    names = (RESNET_FILE, os.path.basename(RESNET_URL), RESNET_HUB[1])
    found = [os.path.join(source_dir, n) for n in names if source_dir and os.path.isfile(os.path.join(source_dir, n))]
    cache = "/cache/torch" if os.path.isdir("/cache") else None  # the engine's download cache
    scratch = None
    if found:
        path, origin = found[0], found[0]
    elif cache and os.path.isfile(os.path.join(cache, os.path.basename(RESNET_URL))):
        path, origin = os.path.join(cache, os.path.basename(RESNET_URL)), RESNET_URL  # downloaded before
    else:
        if not cache:
            cache = scratch = tempfile.mkdtemp()
        os.makedirs(cache, exist_ok=True)
        path, origin = fetch_resnet(cache)
    try:
        save_resnet(out, read_weights(path), {"weights": "imagenet", "origin": origin})
    except (OSError, ValueError, RuntimeError) as err:
        give_up(f"{path} is not usable: {err}")
    finally:
        if scratch:
            shutil.rmtree(scratch)
    print(f"ResNet-50 ImageNet weights from {origin}", flush=True)


# ---------------------------------------------------------------- full variant: MS-COCO 2014

class Source:
    """One COCO archive, read from its zip file or from its extracted folder."""

    def __init__(self, zip_path=None, folder=None):
        self.zip = zipfile.ZipFile(zip_path) if zip_path else None
        self.folder = folder
        self.names = {}
        if self.zip:
            # Index by base name: the archives hold train2014/<name> or annotations/<name>.
            self.names = {os.path.basename(n): n for n in self.zip.namelist() if not n.endswith("/")}

    def read(self, name):
        if self.zip:
            return self.zip.read(self.names[name])
        with open(os.path.join(self.folder, name), "rb") as f:
            return f.read()


def find_source(key, roots):
    """The archive `key` in the first root holding it, as a zip or as an extracted folder."""
    for root in roots:
        zip_path = os.path.join(root, ARCHIVE_FILES[key])
        if os.path.isfile(zip_path):
            return Source(zip_path=zip_path)
        folder = os.path.join(root, key)
        if os.path.isdir(folder):
            return Source(folder=folder)
    return None


def give_up(reason):
    files = "\n".join(f"  {url}" for url in ARCHIVES.values())
    sys.exit(
        f"prepare.py: cannot get MS-COCO 2014 and the ResNet-50 weights: {reason}\n"
        f"Download these three files (about 19 GB in all) from the official COCO site:\n{files}\n"
        f"and torchvision's ImageNet ResNet-50 weights (98 MB):\n  {RESNET_URL}\n"
        f"  (or {RESNET_HUB[1]} from https://huggingface.co/{RESNET_HUB[0]}),\n"
        "put them in one folder (as zips, or extracted there as train2014/, val2014/ and annotations/)\n"
        "and prepare again with that folder as the source:\n"
        "  npx mlgym tasks prepare imageCaptioningCOCO --source FOLDER\n"
        "  (or: python3 prepare.py --out DIR --source FOLDER)")


def download(key, cache):
    """Downloads one archive into `cache`, failing fast when the host cannot be reached."""
    url, target = ARCHIVES[key], os.path.join(cache, ARCHIVE_FILES[key])
    partial = target + ".part"
    print(f"downloading {url} ...", flush=True)
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as f:
            shutil.copyfileobj(response, f, length=1 << 20)
        zipfile.ZipFile(partial).close()  # a truncated download is not a zip
    except (OSError, zipfile.BadZipFile) as err:
        if os.path.exists(partial):
            os.remove(partial)
        give_up(f"downloading {url} failed ({err})")
    os.replace(partial, target)


def coco_rows(annotation_json):
    """Image rows (IMAGE_FIELDS + anns, captions sorted by annotation id) keyed by image id."""
    data = json.loads(annotation_json)
    rows = {img["id"]: {**{k: img.get(k) for k in IMAGE_FIELDS}, "anns": []} for img in data["images"]}
    for ann in sorted(data["annotations"], key=lambda a: a["id"]):
        rows[ann["image_id"]]["anns"].append(
            {"caption": ann["caption"].strip(), "id": ann["id"], "image_id": ann["image_id"]})
    return {i: r for i, r in rows.items() if r["anns"]}


def prepare_full(out, source_dir):
    prepare_resnet(out, source_dir)  # first: it is quick, and fails fast offline
    roots = [source_dir] if source_dir else []
    scratch = None
    if not source_dir:
        # The engine mounts a download cache at /cache; elsewhere download next to the output
        # and delete the archives afterwards.
        cache = "/cache/coco" if os.path.isdir("/cache") else os.path.join(out, "_download")
        scratch = None if cache.startswith("/cache") else cache
        os.makedirs(cache, exist_ok=True)
        roots = [cache]
        missing = [k for k in ARCHIVES if find_source(k, roots) is None]
        if missing:
            try:  # one quick request first, so that an offline machine fails in seconds
                urllib.request.urlopen(urllib.request.Request(ARCHIVES[missing[0]], method="HEAD"), timeout=20).close()
            except OSError as err:
                give_up(f"{ARCHIVES[missing[0]]} is unreachable ({err})")
            for key in missing:
                download(key, cache)
    sources = {key: find_source(key, roots) for key in ARCHIVES}
    missing = [ARCHIVE_FILES[k] for k, s in sources.items() if s is None]
    if missing:
        give_up(f"{', '.join(missing)} not found in {roots[0]}")

    rng = random.Random(SEED)
    train_rows = coco_rows(sources["annotations"].read("captions_train2014.json"))
    val_rows = coco_rows(sources["annotations"].read("captions_val2014.json"))
    train_ids = rng.sample(sorted(train_rows), SPLIT_SIZES["train"])
    held_out = rng.sample(sorted(val_rows), SPLIT_SIZES["val"] + SPLIT_SIZES["test"])
    splits = {
        "train": (sorted(train_ids), train_rows, sources["train2014"]),
        "val": (sorted(held_out[:SPLIT_SIZES["val"]]), val_rows, sources["val2014"]),
        "test": (sorted(held_out[SPLIT_SIZES["val"]:]), val_rows, sources["val2014"]),
    }
    for split, (ids, rows, archive) in splits.items():
        write_split(out, split, [rows[i] for i in ids], lambda row, a=archive: a.read(row["file_name"]))
    names = [val_rows[i]["file_name"] for i in splits["val"][0] + splits["test"][0]]
    write_sample_submission(out, names)
    if scratch:
        shutil.rmtree(scratch)


# ---------------------------------------------------------------- small variant: shapes

COLOURS = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 70, 220), "yellow": (240, 220, 40),
    "purple": (140, 50, 170), "orange": (245, 140, 30), "white": (245, 245, 245), "black": (20, 20, 20),
}
SHAPES = ["circle", "square", "triangle"]
SHAPE_WORDS = {"circle": "round shape", "square": "box", "triangle": "triangular shape"}
SMALL_SIZES = {"train": 400, "val": 80, "test": 80}


def shape_captions(rng, colour, shape, background, large):
    size = "large" if large else "small"
    captions = [
        f"a {colour} {shape} on a {background} background",
        f"a {size} {colour} {shape} in front of a {background} background",
        f"a {background} picture with a {colour} {shape} in it",
        f"there is a {size} {colour} {shape} on the {background} background",
        f"a {colour} {SHAPE_WORDS[shape]} on {background}",
    ]
    # Like COCO's annotators, some start with a capital or end with a full stop.
    return [(c[0].upper() + c[1:] if rng.random() < 0.5 else c) + ("." if rng.random() < 0.4 else "")
            for c in captions]


def shape_image(rng, colour, shape, background, large):
    width, height = rng.randint(56, 96), rng.randint(56, 96)
    jitter = lambda rgb: tuple(min(255, max(0, v + rng.randint(-25, 25))) for v in rgb)  # noqa: E731
    img = Image.new("RGB", (width, height), jitter(COLOURS[background]))
    draw = ImageDraw.Draw(img)
    side = int(min(width, height) * (rng.uniform(0.55, 0.8) if large else rng.uniform(0.2, 0.35)))
    x, y = rng.randint(0, width - side), rng.randint(0, height - side)
    fill = jitter(COLOURS[colour])
    if shape == "circle":
        draw.ellipse([x, y, x + side, y + side], fill=fill)
    elif shape == "square":
        draw.rectangle([x, y, x + side, y + side], fill=fill)
    else:
        draw.polygon([(x + side / 2, y), (x, y + side), (x + side, y + side)], fill=fill)
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), width, height


def write_random_resnet(out):
    """A randomly initialised ResNet-50 (torchvision's initialisation, seeded) in place of the
    ImageNet weights: the same shapes, so the paper-size model builds offline; its features mean
    nothing."""
    import torch
    import torchvision

    torch.manual_seed(SEED)
    # One metadata key: the header's key order is not fixed, and the small data should be byte-stable.
    save_resnet(out, torchvision.models.resnet50().state_dict(), {"weights": "random"})


def prepare_small(out):
    write_random_resnet(out)
    rng = random.Random(SEED)
    image_id, ann_id, names = 0, 0, []
    for split, count in SMALL_SIZES.items():
        rows, images = [], {}
        for _ in range(count):
            image_id += 1
            colour, background = rng.sample(sorted(COLOURS), 2)
            shape, large = rng.choice(SHAPES), rng.random() < 0.5
            data, width, height = shape_image(rng, colour, shape, background, large)
            file_name = f"SHAPES_{split}_{image_id:012d}.jpg"
            anns = []
            for caption in shape_captions(rng, colour, shape, background, large):
                ann_id += 1
                anns.append({"caption": caption, "id": ann_id, "image_id": image_id})
            rows.append({"license": 0, "file_name": file_name, "coco_url": "", "height": height, "width": width,
                         "date_captured": "", "flickr_url": "", "id": image_id, "anns": anns})
            images[file_name] = data
        write_split(out, split, rows, images)
        if split != "train":
            names += [r["file_name"] for r in rows]
    write_sample_submission(out, names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder (public/ and hidden/ go there)")
    parser.add_argument("--small", action="store_true", help="generate the small offline variant")
    parser.add_argument("--source", help="folder with the manually downloaded COCO 2014 archives")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.small:
        prepare_small(args.out)
    else:
        prepare_full(args.out, args.source)


if __name__ == "__main__":
    main()
