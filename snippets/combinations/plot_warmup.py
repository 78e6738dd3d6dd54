"""Figure: inverse-square-root warmup vs linear warmup + cosine, and the tiny Transformer trained with each."""
import matplotlib.pyplot as plt
import torch

from transformer_recipe import train_reversal
from warmup_schedules import inverse_sqrt_warmup, linear_warmup_cosine, lr_trace

torch.set_num_threads(1)  # a model this small runs faster on one CPU thread
base_lr, warmup, steps = 3e-3, 30, 200
schedules = {"inverse_sqrt": ("inverse square root", inverse_sqrt_warmup(warmup)),
             "cosine": ("linear warmup + cosine", linear_warmup_cosine(warmup, steps))}

fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.6))
for key, (label, factor) in schedules.items():
    ax_lr.plot(lr_trace(factor, steps, base_lr), label=label)
    _, hist = train_reversal(steps=steps, lr=base_lr, warmup=warmup, schedule=key)
    ax_loss.semilogy(hist["loss"], lw=1, label=label)
ax_lr.axvline(warmup, color="gray", ls=":", label="end of warmup")
ax_lr.set_title("Learning rate (peak = base LR)")
ax_lr.set_xlabel("step")
ax_lr.set_ylabel("learning rate")
ax_lr.legend()
ax_loss.set_title("Tiny Transformer, sequence reversal")
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("cross-entropy loss")
ax_loss.legend()
fig.tight_layout()
plt.show()
