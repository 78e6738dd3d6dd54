"""Figure: spread of the batch mean and batch variance against batch size (log-log)."""
import matplotlib.pyplot as plt
from bn_batch_noise import batch_stat_spread, predicted_spread

sizes = [2, 4, 8, 16, 32, 64, 128, 256]
measured = [batch_stat_spread(m) for m in sizes]
theory = [predicted_spread(m) for m in sizes]
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(sizes, [s[0] for s in measured], "o", color="tab:blue", label="std of batch mean (measured)")
ax.loglog(sizes, [t[0] for t in theory], "-", color="tab:blue", label=r"$\sigma/\sqrt{m}$")
ax.loglog(sizes, [s[1] for s in measured], "s", color="tab:red", label="std of batch variance (measured)")
ax.loglog(sizes, [t[1] for t in theory], "-", color="tab:red", label=r"$\sigma^2\sqrt{2(m-1)}/m$")
ax.set_xticks(sizes, [str(m) for m in sizes])
ax.set(xlabel="batch size m (values per channel)", ylabel="spread across batches",
       title="Noise of batch statistics, data N(0, 1)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
