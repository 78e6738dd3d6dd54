"""Figure: spread of the batch mean and batch variance against batch size (log-log)."""
import matplotlib.pyplot as plt
from bn_batch_noise import batch_stat_spread, predicted_spread

sizes = [2, 4, 8, 16, 32, 64, 128, 256]
measured = [batch_stat_spread(m) for m in sizes]
theory = [predicted_spread(m) for m in sizes]
fig, ax = plt.subplots(figsize=(6.5, 4))
for k, (marker, color, what, formula) in enumerate([
        ("o", "tab:blue", "mean", r"$\sigma/\sqrt{m}$"),
        ("s", "tab:red", "variance", r"$\sigma^2\sqrt{2(m-1)}/m$")]):
    ax.loglog(sizes, [s[k] for s in measured], marker, color=color,
              label=f"std of batch {what} (measured)")
    ax.loglog(sizes, [t[k] for t in theory], "-", color=color, label=formula)
ax.set_xticks(sizes, [str(m) for m in sizes])
ax.set(xlabel="batch size m (values per channel)", ylabel="spread across batches",
       title="Noise of batch statistics, data N(0, 1)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
