"""Baseline for CIFAR-10: a small convolutional network trained with plain PyTorch.

Reads data/train and data/test (saved with `datasets`), trains, and writes submission.csv with
one predicted class per test image, in the order of data/test.

  python baseline.py [--epochs N] [--batch-size B] [--lr LR] [--max-steps S]
The default is a short run (EPOCHS in the environment also sets it); train longer for better scores.
MLGYM_SCALE=paper trains with MLGym's recipe (10 epochs, see RECIPES); small (or unset), a short CPU run.
"""

import argparse
import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from datasets import load_from_disk

# How the network is trained at each scale. paper is MLGym's baseline, which trained this network
# with the Hugging Face Trainer: AdamW at lr 5e-5 (its default), weight decay 0.01 on weights but
# not biases, the lr rising from 0 over 500 warmup steps and then falling linearly to 0, gradients
# clipped to norm 1 (its default); 10 epochs of 64 images. small: 2 epochs at a constant, larger
# lr (warmup_steps None: no schedule), which learns within a CPU's minutes.
RECIPES = {
    "small": {"epochs": 2, "lr": 1e-3, "warmup_steps": None, "clip_norm": None, "decay_biases": True},
    "paper": {"epochs": 10, "lr": 5e-5, "warmup_steps": 500, "clip_norm": 1.0, "decay_biases": False},
}
RECIPE = RECIPES["paper" if os.environ.get("MLGYM_SCALE") == "paper" else "small"]


def set_seed(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_images(path):
    """All images of a saved dataset as a float tensor (N, 3, 32, 32) in [0, 1], and the labels
    when the dataset has them. keep_in_memory: data/ is read-only, so nothing may be cached there."""
    data = load_from_disk(path, keep_in_memory=True).with_format("numpy")
    images = torch.from_numpy(data["img"]).permute(0, 3, 1, 2).float() / 255.0
    labels = torch.from_numpy(data["label"]).long() if "label" in data.column_names else None
    return images, labels


class Net(nn.Module):
    """Two 3x3 convolutions with max pooling, then one linear layer (32x32 -> 8x8 after pooling)."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(64 * 8 * 8, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(x.flatten(1))


def make_optimizer(model, lr, total_steps):
    """AdamW, and the learning-rate schedule of RECIPE (None: constant)."""
    if RECIPE["decay_biases"]:
        groups = model.parameters()
    else:
        groups = [{"params": [p for n, p in model.named_parameters() if not n.endswith("bias")]},
                  {"params": [p for n, p in model.named_parameters() if n.endswith("bias")], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=lr, weight_decay=0.01)
    warmup = RECIPE["warmup_steps"]
    if warmup is None:
        return optimizer, None

    def factor(step):  # the Trainer's linear schedule (its first step runs at lr 0)
        if step < warmup:
            return step / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def train(model, images, labels, epochs, batch_size, lr, device, max_steps=None):
    steps_per_epoch = -(-len(images) // batch_size)
    total_steps = min(max_steps or epochs * steps_per_epoch, epochs * steps_per_epoch)
    optimizer, scheduler = make_optimizer(model, lr, total_steps)
    step = 0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images))
        total_loss, correct, seen = 0.0, 0, 0
        for start in range(0, len(images), batch_size):
            if step == total_steps:
                break
            batch = order[start:start + batch_size]
            x, y = images[batch].to(device), labels[batch].to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            if RECIPE["clip_norm"]:
                nn.utils.clip_grad_norm_(model.parameters(), RECIPE["clip_norm"])
            optimizer.step()
            if scheduler:
                scheduler.step()
            step += 1
            total_loss += loss.item() * len(batch)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {total_loss / seen:.4f}, "
              f"train accuracy {correct / seen:.4f}", flush=True)
        if step == total_steps:
            break
    if max_steps:
        print(f"stopped after {step} steps (--max-steps {max_steps})")


@torch.no_grad()
def predict(model, images, device, batch_size=256):
    model.eval()
    return torch.cat([model(images[i:i + batch_size].to(device)).argmax(1).cpu()
                      for i in range(0, len(images), batch_size)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", RECIPE["epochs"])))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=RECIPE["lr"])
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0: no limit)")
    args = parser.parse_args()

    set_seed()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_images, train_labels = load_images("data/train")
    test_images, _ = load_images("data/test")
    print(f"{len(train_images)} training images, {len(test_images)} test images, on {device}")

    model = Net().to(device)
    train(model, train_images, train_labels, args.epochs, args.batch_size, args.lr, device, args.max_steps)
    predictions = predict(model, test_images, device)
    pd.DataFrame({"label": predictions.numpy()}).to_csv("submission.csv", index=False)
    print("wrote submission.csv")


if __name__ == "__main__":
    main()
