"""Figure: loss and pre-clip gradient norm of the GRU recipe on the adding problem."""
import matplotlib.pyplot as plt
import torch

from rnn_adding import train_adding

torch.set_num_threads(1)  # a model this small runs faster on one CPU thread
max_norm, decay_every = 1.0, 200
model, hist = train_adding(max_norm=max_norm, decay_every=decay_every, gamma=0.3)
steps = range(len(hist["loss"]))

fig, (ax_loss, ax_norm) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
ax_loss.semilogy(steps, hist["loss"], color="tab:blue", lw=1, label="training loss (MSE)")
ax_loss.axhline(1 / 6, color="gray", ls="--", label="predict-the-mean baseline (1/6)")
ax_loss.set_ylabel("MSE")
ax_loss.set_title("GRU on the adding problem: Adam, step decay, clipping")
ax_loss.legend(loc="lower left")

ax_norm.plot(steps, hist["grad_norm"], color="tab:orange", lw=1, label="gradient norm before clipping")
ax_norm.axhline(max_norm, color="tab:red", ls="--", label="clipping threshold")
ax_norm.set_yscale("log")
ax_norm.set_ylabel("gradient norm")
ax_norm.set_xlabel("step")
ax_norm.legend(loc="lower left")
for ax in (ax_loss, ax_norm):
    for s in range(decay_every, len(hist["loss"]), decay_every):
        ax.axvline(s, color="black", lw=0.8, ls=":")
ax_loss.annotate("LR × 0.3", xy=(decay_every, 0.5), xytext=(5, 0), textcoords="offset points")
fig.tight_layout()
plt.show()
