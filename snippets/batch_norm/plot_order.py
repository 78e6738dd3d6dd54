"""Figure: what the first BN and the next layer see, with BN before or after the ReLU."""
import matplotlib.pyplot as plt
import torch
from bn_order import digits_split, first_block_signals, ordered_mlp

x_train = digits_split()[0]
titles = {"bn-relu": "Linear → BN → ReLU", "relu-bn": "Linear → ReLU → BN"}
fig, axes = plt.subplots(2, 2, figsize=(9, 5.2), sharex=True)
for row, (order, title) in enumerate(titles.items()):
    torch.manual_seed(0)
    signals = first_block_signals(ordered_mlp(order).train(), x_train)
    for col, (values, what) in enumerate(zip(signals, ["input of the BN", "input of the next layer"])):
        ax = axes[row, col]
        ax.hist(values.flatten().numpy(), bins=80, range=(-4, 4), color=f"C{row}")
        zeros = (values == 0).float().mean().item()
        ax.set_title(f"{title}: {what}", fontsize=10)
        ax.text(0.98, 0.9, f"exact zeros: {zeros:.0%}", transform=ax.transAxes, ha="right")
        ax.set_yscale("log")
for ax in axes[1]:
    ax.set_xlabel("value (first block, 1,000 training images, at initialization)")
for ax in axes[:, 0]:
    ax.set_ylabel("count")
fig.tight_layout()
plt.show()
