"""Baseline for Fashion-MNIST: a small convolutional network trained with plain PyTorch on CPU.

Reads data/train and data/test (saved with `datasets`), trains, and writes submission.csv with
one predicted class per test image, in the order of data/test.

  python baseline.py [--epochs N] [--batch-size B] [--lr LR]
The default is a short run (EPOCHS in the environment also sets it); train longer for better scores.
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


def set_seed(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_images(path):
    """All images of a saved dataset as a float tensor (N, 1, 28, 28) in [0, 1], and the labels
    when the dataset has them. keep_in_memory: data/ is read-only, so nothing may be cached there."""
    data = load_from_disk(path, keep_in_memory=True).with_format("numpy")
    images = torch.from_numpy(data["image"]).unsqueeze(1).float() / 255.0
    labels = torch.from_numpy(data["label"]).long() if "label" in data.column_names else None
    return images, labels


class Net(nn.Module):
    """Two 3x3 convolutions with max pooling, then one linear layer (28x28 -> 7x7 after pooling)."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(64 * 7 * 7, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(x.flatten(1))


def train(model, images, labels, epochs, batch_size, lr):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images))
        total_loss, correct = 0.0, 0
        for start in range(0, len(images), batch_size):
            batch = order[start:start + batch_size]
            logits = model(images[batch])
            loss = F.cross_entropy(logits, labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(batch)
            correct += (logits.argmax(1) == labels[batch]).sum().item()
        print(f"epoch {epoch + 1}/{epochs}: loss {total_loss / len(images):.4f}, "
              f"train accuracy {correct / len(images):.4f}", flush=True)


@torch.no_grad()
def predict(model, images, batch_size=256):
    model.eval()
    return torch.cat([model(images[i:i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", 2)))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    set_seed()
    train_images, train_labels = load_images("data/train")
    test_images, _ = load_images("data/test")
    print(f"{len(train_images)} training images, {len(test_images)} test images")

    model = Net()
    train(model, train_images, train_labels, args.epochs, args.batch_size, args.lr)
    predictions = predict(model, test_images)
    pd.DataFrame({"label": predictions.numpy()}).to_csv("submission.csv", index=False)
    print("wrote submission.csv")


if __name__ == "__main__":
    main()
