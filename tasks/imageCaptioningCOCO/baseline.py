"""Baseline image captioner: an image encoder and an LSTM decoder.

    python baseline.py [--epochs N] [--image-size PX] [--batch-size B] [--lr LR] [--max-steps S]

Reads the training images and captions from data/, trains, then writes submission.csv with one
generated caption for every validation and test image (columns file_name, caption).
MLGYM_SCALE=paper builds MLGym's model (frozen ImageNet ResNet-50, see SETTINGS); small (or unset), a small CNN.

small: a small CNN trained from scratch on 64x64 images, its features fed to the decoder at every
step. Images are decoded once, shrunk to --image-size pixels, and kept in memory as uint8. By
default it trains for about 400 optimisation steps and at least 2 epochs (some 30 on the small
offline sample). Pass --epochs N (or set EPOCHS=N in the environment) to change it.

paper: MLGym's baseline model and budget: the ResNet-50 of data/resnet50.safetensors (ImageNet
weights; on the small offline data a random stand-in), frozen, on 224x224 images; the decoder
reads its features as its first input; 2 epochs of 128 images. The frozen network's features of
each image are computed once and reused.
"""

import argparse
import os
import random
import re
import time
from collections import Counter

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from torch.nn.utils.rnn import pack_padded_sequence

DATA = "data"
RESNET_WEIGHTS = os.path.join(DATA, "resnet50.safetensors")
PAD, EOS, UNK = 0, 1, 2

# The model and its training at each scale. paper is MLGym's baseline (its data/imageCaptioningCOCO/
# baseline.py): ResNet-50 features through a linear layer and batch norm to 256 numbers, an LSTM of
# 512 units, Adam at lr 1e-3 on the decoder and that layer, batches of 128, 2 epochs, no gradient
# clipping, greedy captions of up to 30 words. small: a CNN learnt from scratch, sized for CPUs;
# epochs None means about 400 steps and at least 2 epochs.
SETTINGS = {
    "small": {"encoder": "cnn", "image_size": 64, "embed_size": 128, "hidden_size": 256, "batch_size": 32,
              "lr": 4e-3, "epochs": None, "clip_norm": 5.0, "max_words": 20},
    "paper": {"encoder": "resnet50", "image_size": 224, "embed_size": 256, "hidden_size": 512, "batch_size": 128,
              "lr": 1e-3, "epochs": 2, "clip_norm": None, "max_words": 30},
}
SETTING = SETTINGS["paper" if os.environ.get("MLGYM_SCALE") == "paper" else "small"]


def cpu_budget():
    """CPUs this container may use: its cgroup quota when it has one (more torch threads than
    that only wait on each other), otherwise the machine's count."""
    cpus = len(os.sched_getaffinity(0))
    for quota_file, period_file in (("/sys/fs/cgroup/cpu.max", None),  # cgroup v2: "quota period"
                                    ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")):
        try:
            fields = open(quota_file).read().split()
            quota, period = fields[0], (fields[1] if period_file is None else open(period_file).read())
            if quota not in ("max", "-1"):
                return max(1, min(cpus, int(quota) // int(period)))
        except (OSError, ValueError, IndexError):
            continue
    return cpus


def set_seed(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def tokenize(text):
    """Lower-cased words and punctuation marks."""
    return re.findall(r"[^\W_]+(?:[-.][^\W_]+)*|'[^\W_]+|[^\w\s]", text.lower())


class Vocabulary:
    def __init__(self, captions, freq_threshold=5):
        counts = Counter(token for caption in captions for token in tokenize(caption))
        self.itos = ["<PAD>", "<EOS>", "<UNK>"] + sorted(w for w, c in counts.items() if c >= freq_threshold)
        self.stoi = {word: i for i, word in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, caption):
        return [self.stoi.get(token, UNK) for token in tokenize(caption)] + [EOS]

    def decode(self, ids):
        words = []
        for i in ids:
            if i == EOS:
                break
            if i > UNK:
                words.append(self.itos[i])
        return " ".join(words)


def load_images(folder, names, size):
    """The images as a uint8 array (N, 3, size, size)."""
    out = np.empty((len(names), 3, size, size), dtype=np.uint8)
    for i, name in enumerate(names):
        with Image.open(os.path.join(folder, name)) as img:
            img.draft("RGB", (size * 2, size * 2))  # JPEG: decode at reduced resolution, much faster
            out[i] = np.asarray(img.convert("RGB").resize((size, size), Image.BILINEAR)).transpose(2, 0, 1)
    return out


class EncoderCNN(nn.Module):
    """small: four strided convolutions learnt from scratch, averaged over the image."""

    def __init__(self, embed_size):
        super().__init__()
        layers, channels = [], 3
        for width in (16, 32, 64, 128):
            layers += [nn.Conv2d(channels, width, 3, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
        self.conv = nn.Sequential(*layers)
        self.linear = nn.Linear(channels, embed_size)

    @staticmethod
    def to_input(batch):
        return torch.from_numpy(batch).float().div_(255).sub_(0.5).div_(0.25)

    def forward(self, images):
        return self.linear(self.conv(images).mean(dim=(2, 3)))


class EncoderResNet(nn.Module):
    """paper, MLGym's encoder: a ResNet-50 without its classifier, frozen, then a trained linear
    layer and batch norm. The frozen part stays in eval mode (ImageNet's batch-norm statistics;
    MLGym's left them updating in training mode), so an image's `pooled` features never change."""

    MEAN, STD = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def __init__(self, embed_size, weights=RESNET_WEIGHTS):
        super().__init__()
        import torchvision
        from safetensors import safe_open
        from safetensors.torch import load_file

        resnet = torchvision.models.resnet50()
        resnet.load_state_dict(load_file(weights))
        with safe_open(weights, "pt") as f:
            if (f.metadata() or {}).get("weights") == "random":
                print(f"note: {weights} holds RANDOM weights (the small offline data's stand-in), not ImageNet's")
        self.backbone = nn.Sequential(*list(resnet.children())[:-1])
        self.backbone.requires_grad_(False)
        if not torch.cuda.is_available():
            # On CPUs (no GPU: the tests' run of this paper-size model), TorchScript folds the batch
            # norms into the convolutions and prepacks their weights: about 1.3x faster.
            self.backbone = torch.jit.optimize_for_inference(torch.jit.script(self.backbone.eval()))
        self.linear = nn.Linear(resnet.fc.in_features, embed_size)
        self.bn = nn.BatchNorm1d(embed_size, momentum=0.01)

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self

    def to_input(self, batch):
        return (torch.from_numpy(batch).float().div_(255) - self.MEAN) / self.STD

    @torch.no_grad()
    def pooled(self, images):
        """(N, 3, 224, 224) normalised images -> (N, 2048) features of the frozen ResNet."""
        # channels_last: faster convolutions on CPUs, no slower on GPUs
        return self.backbone(images.contiguous(memory_format=torch.channels_last)).flatten(1)

    def forward(self, pooled):
        return self.bn(self.linear(pooled))


class DecoderRNN(nn.Module):
    """small: an LSTM that reads, at every step, the previous word next to the image features
    (feeding the features only at the first step, as MLGym's baseline does, learns much more
    slowly)."""

    def __init__(self, embed_size, hidden_size, vocab_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(2 * embed_size, hidden_size, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def step_inputs(self, words, features):
        """(batch, steps, embed) word embeddings -> the LSTM's inputs, features appended."""
        return torch.cat([words, features.unsqueeze(1).expand_as(words)], dim=2)

    def forward(self, features, captions, lengths):
        # Step 0 has no previous word (zeros) and predicts the first word; then each word
        # predicts the next one, and the last word predicts <EOS>.
        start = torch.zeros_like(features).unsqueeze(1)
        inputs = self.step_inputs(torch.cat([start, self.embed(captions[:, :-1])], dim=1), features)
        packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        hiddens, _ = self.lstm(packed)
        return self.linear(hiddens.data)

    @torch.no_grad()
    def greedy(self, features, max_len=20):
        words, states, steps = torch.zeros_like(features).unsqueeze(1), None, []
        for _ in range(max_len):
            hiddens, states = self.lstm(self.step_inputs(words, features), states)
            predicted = self.linear(hiddens.squeeze(1)).argmax(dim=1)
            steps.append(predicted)
            words = self.embed(predicted).unsqueeze(1)
        return torch.stack(steps, dim=1).tolist()


class DecoderFirstStep(nn.Module):
    """paper, MLGym's decoder: an LSTM whose first input is the image features; each later input
    is the previous word, and the last word predicts <EOS>."""

    def __init__(self, embed_size, hidden_size, vocab_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, features, captions, lengths):
        inputs = torch.cat([features.unsqueeze(1), self.embed(captions[:, :-1])], dim=1)
        packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        hiddens, _ = self.lstm(packed)
        return self.linear(hiddens.data)

    @torch.no_grad()
    def greedy(self, features, max_len=30):
        inputs, states, steps = features.unsqueeze(1), None, []
        for _ in range(max_len):
            hiddens, states = self.lstm(inputs, states)
            predicted = self.linear(hiddens.squeeze(1)).argmax(dim=1)
            steps.append(predicted)
            inputs = self.embed(predicted).unsqueeze(1)
        return torch.stack(steps, dim=1).tolist()


def make_batch(vocab, caption_lists):
    """Pads one randomly chosen caption per image (as words + <EOS>); returns (tokens, lengths,
    targets), the targets packed in the order of the decoder's packed outputs."""
    encoded = [vocab.encode(random.choice(captions)) for captions in caption_lists]
    lengths = [len(e) for e in encoded]
    tokens = torch.full((len(encoded), max(len(e) for e in encoded)), PAD, dtype=torch.long)
    for i, e in enumerate(encoded):
        tokens[i, :len(e)] = torch.tensor(e)
    targets = pack_padded_sequence(tokens, lengths, batch_first=True, enforce_sorted=False).data
    return tokens, lengths, targets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", 0)) or SETTING["epochs"],
                        help="default: 2 at the paper scale; at the small one max(2, enough epochs for about 400 steps)")
    parser.add_argument("--image-size", type=int, default=SETTING["image_size"])
    parser.add_argument("--batch-size", type=int, default=SETTING["batch_size"])
    parser.add_argument("--lr", type=float, default=SETTING["lr"])
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0: no limit)")
    args = parser.parse_args()
    set_seed()
    torch.set_num_threads(min(8, cpu_budget()))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    start = time.time()

    train = pd.read_parquet(os.path.join(DATA, "train_images.parquet"))
    train_captions = [[ann["caption"] for ann in anns] for anns in train["anns"]]
    vocab = Vocabulary([c for captions in train_captions for c in captions])
    embed, hidden = SETTING["embed_size"], SETTING["hidden_size"]
    if SETTING["encoder"] == "cnn":
        train_images = load_images(os.path.join(DATA, "train"), train["file_name"], args.image_size)
        encoder, decoder = EncoderCNN(embed), DecoderRNN(embed, hidden, len(vocab))
    else:
        encoder, decoder = EncoderResNet(embed), DecoderFirstStep(embed, hidden, len(vocab))
        # The frozen ResNet's features of each training image, computed when first needed.
        pooled = torch.zeros(len(train), encoder.linear.in_features)
        have_pooled = np.zeros(len(train), dtype=bool)
    encoder.to(device)
    decoder.to(device)
    print(f"{len(train)} training images, vocabulary of {len(vocab)} words, on {device} ({time.time() - start:.0f}s)",
          flush=True)

    def image_features(idx):
        """The encoder's output for the training images `idx` (with gradients for its trained part)."""
        if SETTING["encoder"] == "cnn":
            return encoder(encoder.to_input(train_images[idx]).to(device))
        missing = idx[~have_pooled[idx]]
        if len(missing):
            images = load_images(os.path.join(DATA, "train"), train["file_name"].iloc[missing], args.image_size)
            pooled[torch.from_numpy(missing)] = encoder.pooled(encoder.to_input(images).to(device)).cpu()
            have_pooled[missing] = True
        return encoder(pooled[torch.from_numpy(idx)].to(device))

    # Only the trained parameters (at the paper scale the ResNet is frozen).
    params = [p for p in list(encoder.parameters()) + list(decoder.parameters()) if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=args.lr)
    criterion = nn.CrossEntropyLoss()

    steps_per_epoch = -(-len(train) // args.batch_size)
    epochs = args.epochs or max(2, -(-400 // steps_per_epoch))
    step = 0
    for epoch in range(epochs):
        encoder.train()
        decoder.train()
        order = np.random.permutation(len(train))
        total, seen = 0.0, 0
        for first in range(0, len(order), args.batch_size):
            if args.max_steps and step == args.max_steps:
                break
            idx = order[first:first + args.batch_size]
            tokens, lengths, targets = make_batch(vocab, [train_captions[i] for i in idx])
            outputs = decoder(image_features(idx), tokens.to(device), lengths)
            loss = criterion(outputs, targets.to(device))
            optimizer.zero_grad()
            loss.backward()
            if SETTING["clip_norm"]:
                nn.utils.clip_grad_norm_(params, SETTING["clip_norm"])
            optimizer.step()
            step += 1
            total += loss.item() * len(idx)
            seen += len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / seen:.3f} ({time.time() - start:.0f}s)", flush=True)
        if args.max_steps and step == args.max_steps:
            print(f"stopped after {step} steps (--max-steps {args.max_steps})")
            break

    # Caption every validation and test image: the submission covers both splits.
    encoder.eval()
    decoder.eval()
    rows = []
    for split in ("val", "test"):
        names = pd.read_parquet(os.path.join(DATA, f"{split}_images.parquet"))["file_name"].tolist()
        for first in range(0, len(names), 256):
            chunk = names[first:first + 256]
            images = encoder.to_input(load_images(os.path.join(DATA, split), chunk, args.image_size)).to(device)
            with torch.no_grad():
                features = encoder(images) if SETTING["encoder"] == "cnn" else encoder(encoder.pooled(images))
            for name, ids in zip(chunk, decoder.greedy(features, SETTING["max_words"])):
                rows.append({"file_name": name, "caption": vocab.decode(ids) or "a picture"})
    pd.DataFrame(rows).to_csv("submission.csv", index=False)
    print(f"wrote submission.csv with {len(rows)} captions ({time.time() - start:.0f}s)")


if __name__ == "__main__":
    main()
