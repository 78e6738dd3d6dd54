"""Final loss and clipped fraction against the threshold, at two learning rates."""

import matplotlib.pyplot as plt
import torch

from clip_threshold import probe_norms, sweep_thresholds, threshold_from_norms

torch.set_num_threads(1)  # a tiny model: more threads only add overhead
thresholds = [0.003, 0.01, 0.03, 0.3, 1.0, 3.0]
probe = probe_norms()  # the same probe as the numbers quoted on the page

fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.2), sharex=True)
for lr, color in [(0.2, "tab:blue"), (0.4, "tab:orange")]:
    rows = sweep_thresholds(thresholds, lr=lr, steps=200)
    losses = [r["final_loss"] for r in rows]  # every clipped run stays finite here
    top.plot(thresholds, losses, "o-", color=color, label=f"lr = {lr:g}")
    bottom.plot(
        thresholds,
        [r["clipped_fraction"] for r in rows],
        "o-",
        color=color,
        label=f"lr = {lr:g}",
    )
for q, ls in [(0.9, "--"), (0.99, ":")]:
    c = threshold_from_norms(probe, q)
    for ax in (top, bottom):
        ax.axvline(c, color="0.4", ls=ls, lw=1, label=f"p{q * 100:g} of probe norms")
top.set_yscale("log")
top.set_ylabel("final training loss")
top.set_title("Too small: slow progress. Too large: unstable (no clipping: NaN)")
top.legend(fontsize=8)
bottom.set_xscale("log")
bottom.set_xlabel("threshold c")
bottom.set_ylabel("fraction of steps clipped")
for ax in (top, bottom):
    ax.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()
