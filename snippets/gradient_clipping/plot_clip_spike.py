"""The Adam loss spike: loss, gradient norm and sqrt(v_hat) per step, beside the fixes."""

import matplotlib.pyplot as plt
import torch

from clip_spike import first_spike, spike_run

torch.set_num_threads(1)  # a tiny model: more threads only add overhead
base = spike_run()
runs = [
    ("lr = 1e-2, eps = 1e-8", base, "tab:red"),
    ("lr = 1e-2, eps = 1e-3", spike_run(eps=1e-3), "tab:blue"),
    ("lr = 3e-3, eps = 1e-8", spike_run(lr=3e-3), "tab:green"),
]
spike = first_spike(base["losses"])

fig, (ax_loss, ax_norm, ax_v) = plt.subplots(3, 1, figsize=(7.5, 8.0), sharex=True)
for label, run, color in runs:
    ax_loss.plot(run["losses"], color=color, lw=1.1, label=label)
ax_loss.set_ylabel("training loss (MSE)")
ax_loss.set_title("Adam on a task it can fit exactly: a spike after a quiet stretch")

ax_norm.plot(base["log"].total, color="tab:red", lw=1.1, label="lr = 1e-2, eps = 1e-8")
ax_norm.axhline(1.0, color="k", ls="--", lw=1, label="threshold c = 1 (clips nothing)")
ax_norm.set_ylabel("total gradient L2 norm")
ax_norm.set_title("Gradient norm: quiet for hundreds of steps, then a straight climb")

ax_v.plot(base["sqrt_v"], color="tab:red", lw=1.1, label="median sqrt(v_hat), eps = 1e-8")
for eps, ls, label in ((1e-3, "-", "1e-3"), (1e-4, "--", "1e-4"), (1e-6, ":", "1e-6")):
    ax_v.axhline(eps, color="0.4", ls=ls, lw=1, label=f"eps = {label}")
ax_v.set_ylabel("scale Adam divides by")
ax_v.set_title("Adam's denominator: eps matters only once it exceeds sqrt(v_hat)")
ax_v.set_xlabel("step")
for ax in (ax_loss, ax_norm, ax_v):
    ax.axvline(spike, color="tab:red", ls=":", lw=1)
    ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
fig.tight_layout()
plt.show()
