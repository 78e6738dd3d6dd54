"""Figure: one trained BN model's test accuracy when it predicts in training mode by mistake."""
import matplotlib.pyplot as plt
import torch
from bn_eval_pitfalls import pitfall_accuracies

torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
results = pitfall_accuracies()
fig, ax = plt.subplots(figsize=(6.5, 3.4))
colors = ["tab:green"] + ["tab:red"] * (len(results) - 1)
bars = ax.barh(list(results), list(results.values()), color=colors)
ax.bar_label(bars, fmt="%.2f", padding=3)
ax.invert_yaxis()  # first setting on top
ax.set_xlim(0, 1.1)
ax.set(xlabel="test accuracy", title="Same weights, different mode at prediction time")
fig.tight_layout()
plt.show()
