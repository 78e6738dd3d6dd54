"""Linear warmup into cosine decay, stepped per batch, built from PyTorch's own schedulers."""
import math

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR


# --8<-- [start:scheduler]
def warmup_cosine(optimizer, warmup_steps, total_steps, start_factor=0.01, eta_min=0.0):
    """Ramp linearly from start_factor * lr to lr over `warmup_steps`, then cosine down to eta_min.

    Call scheduler.step() once per batch; `total_steps` = epochs * batches per epoch.
    """
    warmup = LinearLR(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)
    decay = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=eta_min)
    return SequentialLR(optimizer, [warmup, decay], milestones=[warmup_steps])
# --8<-- [end:scheduler]


# --8<-- [start:formula]
def warmup_cosine_lr(step, lr, warmup_steps, total_steps, start_factor=0.01, eta_min=0.0):
    """The rate warmup_cosine gives at `step`, in closed form."""
    if step < warmup_steps:
        return lr * (start_factor + (1 - start_factor) * step / warmup_steps)
    t, t_max = step - warmup_steps, total_steps - warmup_steps
    return eta_min + 0.5 * (lr - eta_min) * (1 + math.cos(math.pi * t / t_max))
# --8<-- [end:formula]


# --8<-- [start:per-batch]
def epochs_to_steps(epochs, batches_per_epoch):
    """A length given in epochs (warmup, T_max, step_size) as a number of batch steps."""
    return round(epochs * batches_per_epoch)


def per_batch_gamma(gamma_per_epoch, batches_per_epoch):
    """ExponentialLR factor per batch that decays by `gamma_per_epoch` over each epoch."""
    return gamma_per_epoch ** (1 / batches_per_epoch)
# --8<-- [end:per-batch]


if __name__ == "__main__":
    epochs, batches_per_epoch, lr = 10, 50, 0.1
    total = epochs_to_steps(epochs, batches_per_epoch)
    warm = epochs_to_steps(1, batches_per_epoch)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = warmup_cosine(optimizer, warm, total)
    for step in range(total):
        if step % batches_per_epoch == 0:
            print(f"step {step:4d}  lr {optimizer.param_groups[0]['lr']:.5f}")
        optimizer.step()  # forward/backward omitted: the schedule is the point here
        scheduler.step()  # once per batch
