"""Per-layer gradient norms per step: the recurrent layer is the one that explodes."""

import matplotlib.pyplot as plt
import torch

from clip_layers import train_rnn

torch.set_num_threads(1)  # a tiny model: more threads only add overhead
fig, axes = plt.subplots(2, 1, figsize=(7.5, 6.0), sharex=True, sharey=True)
for ax, gain in zip(axes, (2.0, 1.0)):
    log = train_rnn(gain=gain)
    for layer, color in (("rnn", "tab:red"), ("head", "tab:blue")):
        ax.plot(log.per_layer[layer], color=color, lw=1.2, label=f"layer '{layer}'")
    ax.set_yscale("log")
    ax.set_ylabel("gradient L2 norm")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
axes[0].set_title("Recurrent weight at gain 2: layer 'rnn' explodes, the head does not")
axes[1].set_title("Recurrent weight at gain 1: both layers stay within one order")
axes[1].set_xlabel("step")
fig.tight_layout()
plt.show()
