"""Figure: running mean and variance of nn.BatchNorm1d for several momentum values."""
import matplotlib.pyplot as plt
from bn_running import running_stats_trace

MEAN, STD = 3.0, 2.0
fig, (ax_mean, ax_var) = plt.subplots(1, 2, figsize=(9, 3.6))
for momentum, color in [(0.1, "tab:blue"), (0.01, "tab:orange"), (None, "tab:green")]:
    means, variances = running_stats_trace(momentum, mean=MEAN, std=STD)
    steps = range(1, len(means) + 1)
    label = "momentum=None (cumulative)" if momentum is None else f"momentum={momentum}"
    ax_mean.plot(steps, means, color=color, label=label)
    ax_var.plot(steps, variances, color=color, label=label)
ax_mean.axhline(MEAN, color="black", linestyle="--", linewidth=1, label="true value")
ax_var.axhline(STD**2, color="black", linestyle="--", linewidth=1, label="true value")
ax_mean.set(title="running_mean (starts at 0)", xlabel="training step", ylabel="estimate")
ax_var.set(title="running_var (starts at 1)", xlabel="training step")
ax_var.legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()
