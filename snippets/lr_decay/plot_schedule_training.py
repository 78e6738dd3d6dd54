"""Rate, training loss and accuracy of the tiny model under four schedules (schedule_training.py)."""
import matplotlib.pyplot as plt
import torch

from schedule_training import compare


def smooth(values, window=15):
    """Trailing moving average: batch-to-batch noise hides the trend."""
    return [sum(values[max(0, i - window + 1):i + 1]) / (i + 1 - max(0, i - window + 1))
            for i in range(len(values))]


torch.set_num_threads(1)  # the same numbers as the tests
runs = compare()
fig, (rate, loss, accuracy) = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
for name, run in runs.items():
    rate.plot(run["lr"], label=name)
    loss.plot(smooth(run["loss"]), label=name)
    accuracy.plot(smooth(run["accuracy"]), label=name)
rate.set_ylabel("Learning rate")
loss.set_ylabel("Training loss (moving average of 15 batches)")
loss.set_yscale("log")
accuracy.set_ylabel("Batch accuracy (moving average of 15 batches)")
accuracy.set_ylim(0.9, 1.0)
for ax in (rate, loss, accuracy):
    ax.set_xlabel("Step")
    ax.grid(True, alpha=0.3)
rate.legend()
fig.suptitle("A two-layer MLP on the digits, 300 batches, peak rate 0.4")
plt.show()
