"""Multi-step, SGDR and polynomial decay over 100 epochs, from PyTorch's schedulers in more_schedules.py."""
import matplotlib.pyplot as plt

from more_schedules import SCHEDULERS
from schedules import torch_schedule

lr0, epochs = 0.1, 100
titles = ["Multi-step: ×0.1 at 30, 60, 80", "SGDR: T_0 = 10, T_mult = 2", "Polynomial: power = 2"]

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True, layout="constrained")
for ax, title, (make, _) in zip(axes, titles, SCHEDULERS.values()):
    ax.plot(range(epochs), torch_schedule(make, epochs, lr0))
    ax.set_title(title)
    ax.set_xlabel("Epoch")
    ax.grid(True, alpha=0.3)
for restart in (10, 30, 70):  # SGDR cycles of 10, 20, 40 epochs
    axes[1].axvline(restart, color="gray", linestyle=":", linewidth=0.8)
axes[0].set_ylabel("Learning rate")
plt.show()
