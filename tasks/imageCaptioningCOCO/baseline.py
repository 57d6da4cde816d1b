"""Baseline image captioner: a small CNN encoder and an LSTM decoder, trained from scratch.

    python baseline.py [--epochs N] [--image-size PX] [--batch-size B] [--lr LR]

Reads the training images and captions from data/, trains, then writes submission.csv with one
generated caption for every validation and test image (columns file_name, caption).
Images are decoded once, shrunk to --image-size pixels, and kept in memory as uint8.
By default it trains for about 400 optimisation steps and at least 2 epochs: 2 epochs (MLGym's
choice) on the full COCO data, some 30 on the small offline sample. Pass --epochs N (or set
EPOCHS=N in the environment) to change it.
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
PAD, EOS, UNK = 0, 1, 2


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


def to_input(batch):
    return torch.from_numpy(batch).float().div_(255).sub_(0.5).div_(0.25)


class EncoderCNN(nn.Module):
    def __init__(self, embed_size):
        super().__init__()
        layers, channels = [], 3
        for width in (16, 32, 64, 128):
            layers += [nn.Conv2d(channels, width, 3, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
        self.conv = nn.Sequential(*layers)
        self.linear = nn.Linear(channels, embed_size)

    def forward(self, images):
        return self.linear(self.conv(images).mean(dim=(2, 3)))


class DecoderRNN(nn.Module):
    """An LSTM that reads, at every step, the previous word next to the image features (feeding
    the features only at the first step, as MLGym's baseline does, learns much more slowly)."""

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
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", 0)) or None,
                        help="default: max(2, enough epochs for about 400 steps)")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-3)
    args = parser.parse_args()
    set_seed()
    torch.set_num_threads(min(8, cpu_budget()))
    start = time.time()

    train = pd.read_parquet(os.path.join(DATA, "train_images.parquet"))
    train_captions = [[ann["caption"] for ann in anns] for anns in train["anns"]]
    vocab = Vocabulary([c for captions in train_captions for c in captions])
    train_images = load_images(os.path.join(DATA, "train"), train["file_name"], args.image_size)
    print(f"{len(train)} training images, vocabulary of {len(vocab)} words ({time.time() - start:.0f}s)", flush=True)

    encoder = EncoderCNN(embed_size=128)
    decoder = DecoderRNN(embed_size=128, hidden_size=256, vocab_size=len(vocab))
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)
    criterion = nn.CrossEntropyLoss()

    steps_per_epoch = -(-len(train) // args.batch_size)
    epochs = args.epochs or max(2, -(-400 // steps_per_epoch))
    for epoch in range(epochs):
        encoder.train()
        decoder.train()
        order = np.random.permutation(len(train))
        total = 0.0
        for first in range(0, len(order), args.batch_size):
            idx = order[first:first + args.batch_size]
            tokens, lengths, targets = make_batch(vocab, [train_captions[i] for i in idx])
            outputs = decoder(encoder(to_input(train_images[idx])), tokens, lengths)
            loss = criterion(outputs, targets)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 5.0)
            optimizer.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(train):.3f} ({time.time() - start:.0f}s)", flush=True)

    # Caption every validation and test image: the submission covers both splits.
    encoder.eval()
    rows = []
    for split in ("val", "test"):
        names = pd.read_parquet(os.path.join(DATA, f"{split}_images.parquet"))["file_name"].tolist()
        images = load_images(os.path.join(DATA, split), names, args.image_size)
        for first in range(0, len(names), 256):
            with torch.no_grad():
                features = encoder(to_input(images[first:first + 256]))
            for name, ids in zip(names[first:first + 256], decoder.greedy(features)):
                rows.append({"file_name": name, "caption": vocab.decode(ids) or "a picture"})
    pd.DataFrame(rows).to_csv("submission.csv", index=False)
    print(f"wrote submission.csv with {len(rows)} captions ({time.time() - start:.0f}s)")


if __name__ == "__main__":
    main()
