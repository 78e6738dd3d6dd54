"""Linear warmup into cosine decay, per batch and per epoch, from the scheduler in warmup.py."""
import matplotlib.pyplot as plt
import torch

from warmup import epochs_to_steps, warmup_cosine

lr, epochs, batches_per_epoch = 0.1, 20, 25


def trace(warmup_steps, total_steps, steps_per_call):
    """Rate at every batch when the scheduler is stepped every `steps_per_call` batches."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = warmup_cosine(optimizer, warmup_steps, total_steps)
    lrs = []
    for batch in range(epochs * batches_per_epoch):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if (batch + 1) % steps_per_call == 0:
            scheduler.step()
    return lrs


per_batch = trace(epochs_to_steps(2, batches_per_epoch), epochs_to_steps(epochs, batches_per_epoch), 1)
per_epoch = trace(2, epochs, batches_per_epoch)
x = [b / batches_per_epoch for b in range(epochs * batches_per_epoch)]

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
ax.plot(x, per_epoch, label="Stepped per epoch (lengths in epochs)")
ax.plot(x, per_batch, label="Stepped per batch (lengths in batches)")
ax.axvline(2, color="gray", linestyle=":", label="End of warmup")
ax.set_xlabel("Epoch")
ax.set_ylabel("Learning rate")
ax.set_title("Linear warmup (2 epochs) into cosine decay")
ax.grid(True, alpha=0.3)
ax.legend()
plt.show()
