"""Warmup schedules for LambdaLR that are defined at step 0 and peak at the optimizer's base LR."""
# --8<-- [start:imports]
import math

import torch
# --8<-- [end:imports]


# --8<-- [start:inverse_sqrt]
def inverse_sqrt_warmup(warmup_steps):
    """LR factor: linear rise to 1 at step `warmup_steps`, then decay as 1/sqrt(step)."""

    def factor(step):
        # Count from 1 so that step 0 already gets a small positive LR (no 0 ** -0.5).
        r = (step + 1) / (warmup_steps + 1)
        return min(r, r ** -0.5)  # both branches equal exactly 1.0 at step == warmup_steps

    return factor
# --8<-- [end:inverse_sqrt]


# --8<-- [start:linear_cosine]
def linear_warmup_cosine(warmup_steps, total_steps, min_factor=0.0):
    """LR factor: linear rise to 1 at step `warmup_steps`, then half a cosine down to `min_factor`."""

    def factor(step):
        if step <= warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return min_factor + (1.0 - min_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor
# --8<-- [end:linear_cosine]


def lr_trace(factor, steps, base_lr=1e-3):
    """The LR each optimizer step would use under LambdaLR(factor), for steps 0..steps-1."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=base_lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


if __name__ == "__main__":
    base_lr, warmup = 3e-4, 4000
    for name, f in [("inverse sqrt", inverse_sqrt_warmup(warmup)),
                    ("linear + cosine", linear_warmup_cosine(warmup, 20000))]:
        lrs = lr_trace(f, 20000, base_lr)
        peak = max(range(len(lrs)), key=lrs.__getitem__)
        print(f"{name:16s} lr[0]={lrs[0]:.3g}  peak lr={lrs[peak]:.3g} at step {peak}  "
              f"final lr={lrs[-1]:.3g}")
