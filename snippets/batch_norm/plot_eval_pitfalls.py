"""Figure: one trained BN model's test accuracy when it predicts in training mode by mistake."""
import matplotlib.pyplot as plt
import torch
from bn_eval_pitfalls import pitfall_accuracies

torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
results = pitfall_accuracies()
fig, ax = plt.subplots(figsize=(6.5, 3.4))
for row, (setting, acc) in enumerate(results.items()):
    ax.barh(row, acc, color="tab:green" if row == 0 else "tab:red")
    ax.text(acc + 0.01, row, f"{acc:.2f}", va="center")
    ax.text(-0.02, row, setting, ha="right", va="center")  # a text, not a tick label
ax.set_yticks([])
ax.invert_yaxis()  # first setting on top
ax.set_xlim(0, 1.1)
ax.set_xlabel("test accuracy")
fig.suptitle("Same weights, different mode at prediction time")
fig.tight_layout()
plt.show()
