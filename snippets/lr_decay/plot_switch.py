"""Cosine then step decay: the recipe against two tempting wrong ways (switch_schedules.py)."""
import matplotlib.pyplot as plt

from schedules import torch_schedule
from switch_schedules import cosine_then_step, sequential_with_steplr, two_schedulers_by_hand

lr0, epochs = 0.1, 100
switch, lr_switch, step_size, gamma = 50, 0.01, 10, 0.5
curves = {
    "Recipe: SequentialLR + LambdaLR": torch_schedule(
        lambda opt: cosine_then_step(opt, switch, lr_switch, step_size, gamma), epochs, lr0),
    "Wrong: SequentialLR + StepLR (jumps back up)": torch_schedule(
        lambda opt: sequential_with_steplr(opt, switch, lr_switch, step_size, gamma), epochs, lr0),
    "Wrong: two schedulers stepped by hand (stuck at 0)": torch_schedule(
        lambda opt: two_schedulers_by_hand(opt, switch, step_size, gamma), epochs, lr0),
}

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
for (label, lrs), style in zip(curves.items(), ["-", "--", ":"]):
    ax.plot(range(epochs), lrs, style, linewidth=2, label=label)
ax.axvline(switch, color="gray", linewidth=0.8)
ax.set_yscale("symlog", linthresh=1e-3)
ax.set_ylim(-3e-4, 0.15)  # a margin below 0 keeps the curve at exactly 0 off the axis line
ax.set_xlabel("Epoch")
ax.set_ylabel("Learning rate")
ax.set_title("Cosine for 50 epochs, then ×0.5 every 10 epochs")
ax.grid(True, alpha=0.3)
ax.legend(loc="lower left")
plt.show()
