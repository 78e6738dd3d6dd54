"""The range test's loss against the rate, and the OneCycleLR schedule it feeds (range_test.py)."""
import matplotlib.pyplot as plt
import torch

from range_test import digits_data, lr_range_test, one_cycle, pick_max_lr, train

torch.set_num_threads(1)  # the same numbers as the tests
x, y = digits_data()
lrs, losses = lr_range_test(x, y)
max_lr, lowest = pick_max_lr(lrs, losses), lrs[losses.index(min(losses))]
rates = train(x, y, one_cycle(max_lr), max_lr)["lr"]

fig, (test, cycle) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
test.plot(lrs, losses)
test.axvline(max_lr, color="tab:green", linestyle="--", label="Steepest fall: the max_lr picked")
test.axvline(lowest, color="tab:red", linestyle=":", label="Lowest loss: already too large")
test.set_xscale("log")
test.set_xlabel("Learning rate (one batch each)")
test.set_ylabel("Smoothed training loss")
test.set_title("Learning-rate range test")
test.legend()

cycle.plot(rates)
cycle.axhline(max_lr, color="tab:green", linestyle="--", linewidth=0.8)
cycle.set_xlabel("Step")
cycle.set_ylabel("Learning rate")
cycle.set_title("OneCycleLR(max_lr) over 300 steps")
for ax in (test, cycle):
    ax.grid(True, alpha=0.3)
plt.show()
