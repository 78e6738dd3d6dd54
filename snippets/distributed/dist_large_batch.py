"""The linear scaling rule with gradual warmup (Goyal et al., 2017) for a global batch size."""
# --8<-- [start:imports]
import math

import torch
# --8<-- [end:imports]


# --8<-- [start:scaling]
def scaled_lr(base_lr, base_batch, global_batch):
    """Linear scaling: k times the batch, k times the learning rate."""
    return base_lr * global_batch / base_batch


def warmup_steps(warmup_epochs, dataset_size, global_batch):
    """Optimizer steps in `warmup_epochs` epochs (the last batch of an epoch counts)."""
    return warmup_epochs * math.ceil(dataset_size / global_batch)


def warmup_to_scaled_lr(optimizer, base_lr, base_batch, global_batch, dataset_size, warmup_epochs=5):
    """Set the scaled lr and return a LambdaLR that ramps linearly from base_lr to it, then holds.

    Goyal et al. start at the small-batch lr and add a constant amount each step; step it once
    per optimizer step (chain a decay after it with SequentialLR).
    """
    peak = scaled_lr(base_lr, base_batch, global_batch)
    steps = warmup_steps(warmup_epochs, dataset_size, global_batch)
    for group in optimizer.param_groups:
        group["lr"] = peak
    start = base_lr / peak
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: start + (1 - start) * min(s, steps) / steps)
# --8<-- [end:scaling]


if __name__ == "__main__":
    # ResNet-50 on ImageNet (1,281,167 training images): lr 0.1 at batch 256
    for batch in (256, 1024, 8192):
        print(f"batch {batch:5d}: lr {scaled_lr(0.1, 256, batch):.2f}, "
              f"5 warmup epochs = {warmup_steps(5, 1_281_167, batch)} steps")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    schedule = warmup_to_scaled_lr(optimizer, 0.1, 256, 8192, 1_281_167)
    lrs = []
    for _ in range(800):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    print(f"batch 8192: lr at steps 0, 392, 784, 799: {lrs[0]:.3f}, {lrs[392]:.3f}, {lrs[784]:.3f}, {lrs[799]:.3f}")
