"""CIFAR-10's python format written from tensors, and a synthetic CIFAR-10-shaped dataset.

No download is possible on the build machines, so the clipping sweep and the GPU benchmark train
on synthetic images in the real file format; the tests write the format to check the reader.
"""
import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def write_batch(path, images, labels):
    """One batch file: b'data' is N x 3072 uint8 (all red rows, then green, then blue)."""
    images = np.asarray(images, dtype=np.uint8)
    batch = {b"batch_label": Path(path).name.encode(), b"labels": [int(v) for v in labels],
             b"data": images.reshape(len(images), -1),
             b"filenames": [f"{Path(path).name}_{k}.png".encode() for k in range(len(images))]}
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


def write_dataset(folder, train, test):
    """data_batch_1..5 (the training images in five parts) and test_batch, as CIFAR-10 ships."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (x, y), (x_test, y_test) = train, test
    for i, part in enumerate(np.array_split(np.arange(len(y)), 5), start=1):
        write_batch(folder / f"data_batch_{i}", x[part], y[part])
    write_batch(folder / "test_batch", x_test, y_test)
    return folder


def synthetic_images(n, seed=0, classes=10, signal=0.2):
    """Each class is a smooth random colour pattern; an image is its class's pattern, shifted,
    with random brightness, under noise. `signal` sets how hard the classes are to tell apart."""
    gen = torch.Generator().manual_seed(1234)  # the classes are the same for every seed
    templates = F.interpolate(torch.rand(classes, 3, 6, 6, generator=gen), size=(32, 32),
                              mode="bicubic", align_corners=False)
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n,), generator=gen)
    shifts = torch.randint(-4, 5, (n, 2), generator=gen)
    noise = F.interpolate(torch.rand(n, 3, 16, 16, generator=gen), size=(32, 32), mode="bilinear",
                          align_corners=False)
    brightness = 0.7 + 0.6 * torch.rand(n, 1, 1, 1, generator=gen)
    images = torch.stack([templates[c].roll((int(dy), int(dx)), dims=(1, 2))
                          for c, (dy, dx) in zip(labels, shifts)])
    images = brightness * (signal * images + (1 - signal) * noise)
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).numpy(), labels.numpy()


def synthetic_cifar(folder, n_train=5000, n_test=1000, seed=0):
    return write_dataset(folder, synthetic_images(n_train, seed), synthetic_images(n_test, seed + 1))
