"""Figure: test accuracy of BatchNorm, GroupNorm and LayerNorm MLPs on digits against batch size."""
import matplotlib.pyplot as plt
import torch
from norm_compare import compare

torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
sizes = (2, 4, 8, 32)
kinds = {"batch": "BatchNorm", "group": "GroupNorm (8 groups)", "layer": "LayerNorm"}
results = compare(batch_sizes=sizes, kinds=tuple(kinds))
fig, ax = plt.subplots(figsize=(6.5, 4))
for (kind, label), marker in zip(kinds.items(), "osD"):
    ax.plot(sizes, [results[kind, bs] for bs in sizes], marker=marker, label=label)
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, [str(bs) for bs in sizes])
ax.set_ylim(0, 1)
ax.set(xlabel="batch size (one epoch, same learning rate)", ylabel="test accuracy",
       title="MLP on digits: normalization vs batch size")
ax.legend(loc="lower right")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
