"""Three features with different offsets, scales and shapes, before and after nn.BatchNorm1d."""
import torch
from torch import nn


# --8<-- [start:features]
def features_before_after(n=1000, seed=0):
    """Return (x, y): 3 features of n samples, and the same batch after a fresh BN (train mode)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.stack([
        torch.normal(2.0, 1.0, size=(n,), generator=g),  # mean 2, std 1
        torch.normal(-1.0, 0.5, size=(n,), generator=g),  # mean -1, std 0.5
        torch.empty(n).exponential_(1.0 / 3.0, generator=g),  # skewed, mean 3, std 3
    ], dim=1)
    bn = nn.BatchNorm1d(3)  # gamma = 1, beta = 0 at initialisation
    with torch.no_grad():
        y = bn(x)  # training mode: normalised with this batch's own statistics
    return x, y
# --8<-- [end:features]


def skewness(t):
    """Third standardised moment of each column."""
    z = (t - t.mean(0)) / t.std(0, correction=0)
    return (z**3).mean(0)


if __name__ == "__main__":
    x, y = features_before_after()
    for label, t in [("before", x), ("after ", y)]:
        print(f"{label}: mean", t.mean(0).numpy().round(3),
              "std", t.std(0, correction=0).numpy().round(3), "skew", skewness(t).numpy().round(3))
