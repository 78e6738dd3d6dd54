"""Draw a few 2-D gradients before and after clipping by norm and by value."""

import matplotlib.pyplot as plt
import numpy as np
import torch

from clip_basics import clip_by_total_norm, clip_by_value

THRESHOLD = 1.0
GRADS = [(2.6, 0.6), (0.5, 2.4), (-1.8, -1.8), (0.6, -0.3), (-2.4, 1.0)]

fig, axes = plt.subplots(1, 2, figsize=(9, 4.6), sharex=True, sharey=True)
for ax, kind in zip(axes, ["norm", "value"]):
    if kind == "norm":
        ax.add_patch(
            plt.Circle((0, 0), THRESHOLD, fill=False, ls="--", color="tab:red")
        )
        ax.set_title("Clip by norm: direction kept")
    else:
        ax.add_patch(
            plt.Rectangle(
                (-THRESHOLD, -THRESHOLD),
                2 * THRESHOLD,
                2 * THRESHOLD,
                fill=False,
                ls="--",
                color="tab:red",
            )
        )
        ax.set_title("Clip by value: direction changes")
    for i, (gx, gy) in enumerate(GRADS):
        g = torch.tensor([gx, gy])
        clipped = g.clone()
        if kind == "norm":
            clip_by_total_norm([clipped], THRESHOLD)
        else:
            clip_by_value([clipped], THRESHOLD)
        ax.annotate(
            "",
            xy=(gx, gy),
            xytext=(0, 0),
            arrowprops=dict(arrowstyle="->", color="0.6", lw=1.5),
        )
        ax.annotate(
            "",
            xy=tuple(clipped.tolist()),
            xytext=(0, 0),
            arrowprops=dict(arrowstyle="->", color="tab:blue", lw=2.2),
        )
        # a dotted ray along the original direction: does the clipped arrow stay on it?
        ray = np.array([gx, gy]) / np.hypot(gx, gy) * 3.2
        ax.plot([0, ray[0]], [0, ray[1]], ls=":", lw=0.8, color="0.75")
    ax.plot([], [], color="0.6", label="original gradient")
    ax.plot([], [], color="tab:blue", lw=2.2, label="clipped gradient")
    ax.plot([], [], color="tab:red", ls="--", label="threshold c = 1")
    ax.set_aspect("equal")
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.axhline(0, color="0.85", lw=0.8)
    ax.axvline(0, color="0.85", lw=0.8)
    ax.set_xlabel("$g_1$")
axes[0].set_ylabel("$g_2$")
axes[0].legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()
