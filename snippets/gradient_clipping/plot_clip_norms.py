"""Total gradient norm per step, before and after clipping, with the threshold (log)."""

import matplotlib.pyplot as plt
import torch

from clip_train import train

torch.set_num_threads(1)  # a tiny model: more threads only add overhead
THRESHOLD = 1.0
plain = train(lr=0.2)["log"]
clipped = train(lr=0.2, max_norm=THRESHOLD)["log"]

fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.2), sharex=True)
top.plot(plain.total, color="tab:red", lw=1.2, label="norm (nothing clipped)")
top.set_title("No clipping: the norm runs away, then the loss is NaN")
bottom.plot(clipped.total, color="0.6", lw=1.0, label="norm before clipping")
bottom.plot(
    clipped.clipped_total, color="tab:blue", lw=1.2, label="norm after clipping"
)
bottom.set_title("Clip at c = 1: after clipping the norm never exceeds c")
for ax in (top, bottom):
    ax.axhline(THRESHOLD, color="k", ls="--", lw=1, label="threshold c")
    ax.set_yscale("log")
    ax.set_ylabel("total gradient L2 norm")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
bottom.set_xlabel("step")
fig.tight_layout()
plt.show()
