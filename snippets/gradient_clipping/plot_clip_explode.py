"""Loss curves of the same SGD run with and without clipping by total norm."""

import math

import matplotlib.pyplot as plt
import torch

from clip_train import train

torch.set_num_threads(1)  # a tiny model: more threads only add overhead
runs = [
    ("no clipping, lr = 0.05", dict(lr=0.05), "0.55"),
    ("no clipping, lr = 0.2", dict(lr=0.2), "tab:red"),
    ("clip at c = 1, lr = 0.2", dict(lr=0.2, max_norm=1.0), "tab:blue"),
]

fig, ax = plt.subplots(figsize=(7.5, 4.2))
for label, kwargs, color in runs:
    losses = train(**kwargs)["losses"]
    finite = [v for v in losses if math.isfinite(v)]
    ax.plot(range(len(finite)), finite, color=color, lw=1.2, label=label)
    if len(finite) < len(losses):  # the loss became inf/NaN at this step
        ax.axvline(len(finite), color=color, ls=":", lw=1.2)
        ax.annotate(
            "loss is NaN from here",
            xy=(len(finite), 1e2),
            xytext=(len(finite) + 15, 1e4),
            color=color,
            arrowprops=dict(arrowstyle="->", color=color),
        )
ax.set_yscale("log")
ax.set_ylim(1e-2, 1e6)  # the diverging run leaves the plot on its way to inf
ax.set_xlabel("step")
ax.set_ylabel("training loss (MSE)")
ax.set_title("Same model, same data: clipping keeps lr = 0.2 from blowing up")
ax.legend(loc="upper right")
ax.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()
