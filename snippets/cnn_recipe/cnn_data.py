"""Image data for the CNN recipe: CIFAR-10 python batches or sklearn digits, batched on the device."""
# --8<-- [start:imports]
import hashlib
import math
import pickle
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
# --8<-- [end:imports]

# --8<-- [start:constants]
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR_TEST = ["test_batch"]


class DataError(ValueError):
    """Data that cannot be used as given: the message says which file or setting, and why."""
# --8<-- [end:constants]


# --8<-- [start:cifar]
def find_cifar_dir(data_dir):
    """The folder holding the batch files: data_dir itself or data_dir/cifar-10-batches-py."""
    for folder in (Path(data_dir), Path(data_dir) / "cifar-10-batches-py"):
        if all((folder / name).is_file() for name in CIFAR_TRAIN + CIFAR_TEST):
            return folder
    return None


def read_cifar_batches(folder, names):
    """Pickled dicts with b'data' (N x 3072 uint8, channel-major rows) and b'labels'."""
    images, labels = [], []
    for name in names:
        path = Path(folder) / name
        try:
            with open(path, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            y = np.asarray(batch[b"labels"], dtype=np.int64)
        except Exception as err:  # truncated, not a pickle, or not CIFAR-10's layout
            raise DataError(f"{path} is not a CIFAR-10 python batch "
                            f"({type(err).__name__}: {err})") from None
        if len(x) != len(y) or y.min(initial=0) < 0 or y.max(initial=0) > 9:
            raise DataError(f"{path}: {len(x)} images but {len(y)} labels in 0..9")
        images.append(x)
        labels.append(y)
    return torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels))


def load_cifar10(data_dir):
    folder = find_cifar_dir(data_dir)
    if folder is None:
        raise DataError(f"no CIFAR-10 python batches (data_batch_1..5, test_batch) in {data_dir}")
    return read_cifar_batches(folder, CIFAR_TRAIN), read_cifar_batches(folder, CIFAR_TEST)
# --8<-- [end:cifar]


def download_cifar10(data_dir, url=CIFAR_URL, md5=CIFAR_MD5):
    """Fetch the archive (once), check its MD5, and unpack it under data_dir."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    archive = data_dir / "cifar-10-python.tar.gz"
    if not archive.is_file():
        partial = archive.with_suffix(".part")
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        partial.replace(archive)  # only a complete download gets the final name
    digest = hashlib.md5(archive.read_bytes()).hexdigest()
    if digest != md5:
        archive.unlink()
        raise ValueError(f"MD5 mismatch for {archive.name}: got {digest}, expected {md5}")
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers()
                   if m.isfile() and m.name.startswith("cifar-10-batches-py/") and ".." not in m.name]
        # the "data" filter exists from Python 3.12, 3.11.4 and the 3.8-3.10 security releases
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(data_dir, members=members, **safe)
    return data_dir / "cifar-10-batches-py"


# --8<-- [start:digits]
def load_digits_images(image_size=32, test_fraction=0.25, seed=0):
    """sklearn's 8x8 digits as uint8 N x 3 x S x S images (bilinear upsampling, grey to RGB)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) * (255.0 / 16.0)
    x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    x = x.clamp(0, 255).round().to(torch.uint8).expand(-1, 3, -1, -1).contiguous()
    y = torch.tensor(digits.target, dtype=torch.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=test_fraction,
                                           random_state=seed, stratify=digits.target)
    return (x[idx_train], y[idx_train]), (x[idx_test], y[idx_test])
# --8<-- [end:digits]


# --8<-- [start:validation]
def split_validation(images, labels, fraction, seed=0):
    """Hold out a stratified share of the training images: each class keeps its proportion."""
    from sklearn.model_selection import train_test_split

    counts = torch.bincount(labels)
    present = counts[counts > 0]
    n, n_val = len(labels), math.ceil(fraction * len(labels))
    if present.min() < 2 or n_val < len(present) or n - n_val < len(present):
        raise DataError(f"{n} training images are too few to hold out {fraction:g} of them with "
                        f"every class on both sides (fewest in one class: {int(present.min())})")
    idx_train, idx_val = train_test_split(np.arange(n), test_size=n_val, random_state=seed,
                                          stratify=labels.numpy())
    return (images[idx_train], labels[idx_train]), (images[idx_val], labels[idx_val])
# --8<-- [end:validation]


# --8<-- [start:loader]
def random_crop_flip(x, padding, flip, generator, part=0, parts=1):
    """Per-image random crop (zero padding) and horizontal flip, done for a whole batch at once.

    `x` is part `part` of `parts` equal slices of a batch: the random draws are made for the
    whole batch and sliced, so every process augments its images as a single process would.
    """
    n, _, h, w = x.shape
    mine = slice(part * n, (part + 1) * n)
    if padding > 0:
        x = F.pad(x, (padding,) * 4)
        size = (n * parts, 1)
        dy = torch.randint(0, 2 * padding + 1, size, device=x.device, generator=generator)[mine]
        dx = torch.randint(0, 2 * padding + 1, size, device=x.device, generator=generator)[mine]
        rows = (dy + torch.arange(h, device=x.device))[:, None, :, None]  # n,1,h,1
        cols = (dx + torch.arange(w, device=x.device))[:, None, None, :]  # n,1,1,w
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        chan = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        x = x[batch, chan, rows, cols]
    if flip:
        mirror = torch.rand(n * parts, device=x.device, generator=generator)[mine] < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(3), x)
    return x


class DeviceLoader:
    """Keeps uint8 images on the device; yields normalized, augmented, channels_last batches.

    No worker processes: the whole epoch is shuffled, cropped and flipped on the device in batches.
    The order of epoch e depends only on (seed, e), so a resumed run sees the same batches.
    Data-parallel (`rank` of `world_size` processes): `batch_size` is the global batch; each epoch
    this process moves only its share of every batch to its device and yields that share.
    """

    def __init__(self, images, labels, batch_size, device, mean, std, train,
                 padding=4, flip=True, seed=0, channels_last=True, rank=0, world_size=1):
        self.device, self.train = torch.device(device), train
        self.rank, self.world_size = rank, world_size
        sharded = train and world_size > 1  # the shard changes every epoch: keep the set on the host
        self.images = images if sharded else images.to(device)
        self.labels = labels if sharded else labels.to(device)
        self.batch_size, self.padding, self.flip, self.seed = batch_size, padding, flip, seed
        self.mean = torch.as_tensor(mean, device=device).view(1, -1, 1, 1)
        self.std = torch.as_tensor(std, device=device).view(1, -1, 1, 1)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.epoch = 0

    def __len__(self):  # training drops the last partial batch: every step sees a full batch
        n = len(self.labels)
        return n // self.batch_size if self.train else -(-n // self.batch_size)

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        gen = torch.Generator(device=self.device)
        gen.manual_seed(self.seed * 100_003 + self.epoch)
        n = len(self.labels)
        if not self.train:
            order = torch.arange(n, device=self.device)
        else:  # the same order in every process (same seed): process r takes slice r of each batch
            order = torch.randperm(n, device=self.device, generator=gen)
        images, labels, size = self.images, self.labels, self.batch_size
        if self.train and self.world_size > 1:
            size //= self.world_size
            mine = order[:len(self) * self.batch_size].view(len(self), self.world_size, size)
            mine = mine[:, self.rank].reshape(-1).cpu()
            images, labels = images[mine].to(self.device), labels[mine].to(self.device)
            order = torch.arange(len(mine), device=self.device)
        for i in range(len(self)):
            idx = order[i * size:(i + 1) * size]
            x = (images[idx].float() / 255.0 - self.mean) / self.std
            if self.train:
                x = random_crop_flip(x, self.padding, self.flip, gen, self.rank, self.world_size)
            yield x.contiguous(memory_format=self.memory_format), labels[idx]
# --8<-- [end:loader]


def channel_stats(images):
    """Per-channel mean and std of uint8 images, on the 0..1 scale."""
    x = images.float() / 255.0
    return x.mean(dim=(0, 2, 3)).tolist(), x.std(dim=(0, 2, 3)).tolist()


if __name__ == "__main__":
    (x_train, y_train), (x_test, y_test) = load_digits_images()
    mean, std = channel_stats(x_train)
    loader = DeviceLoader(x_train, y_train, 128, "cpu", mean, std, train=True, flip=False)
    xb, yb = next(iter(loader))
    print(f"digits: train {tuple(x_train.shape)}, test {tuple(x_test.shape)}, "
          f"{len(loader)} batches/epoch")
    print(f"batch {tuple(xb.shape)} channels_last={xb.is_contiguous(memory_format=torch.channels_last)}"
          f" mean={xb.mean():.3f} std={xb.std():.3f}")
