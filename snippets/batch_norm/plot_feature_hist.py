"""Figure: histograms of three features before and after batch normalization."""
import matplotlib.pyplot as plt
from bn_feature_demo import features_before_after

x, y = features_before_after()
names = ["feature 1: N(2, 1)", "feature 2: N(-1, 0.5²)", "feature 3: exponential"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, data, title in [(axes[0], x, "before BN"), (axes[1], y, "after BN (training mode)")]:
    for j, name in enumerate(names):
        ax.hist(data[:, j].numpy(), bins=40, alpha=0.5, label=name)
    ax.set(title=title, xlabel="feature value")
axes[0].set_ylabel("count")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()
