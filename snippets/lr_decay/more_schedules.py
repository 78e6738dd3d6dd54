"""Multi-step decay, cosine with warm restarts (SGDR) and polynomial decay, beside PyTorch's schedulers."""
# --8<-- [start:imports]
import math

from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, MultiStepLR, PolynomialLR
# --8<-- [end:imports]


# --8<-- [start:formulas]
def multistep_decay(t, lr0, milestones, gamma):
    """lr0 * gamma ** (number of milestones <= t): drop by `gamma` at each milestone."""
    return lr0 * gamma ** sum(m <= t for m in milestones)


def sgdr(t, lr0, t_0, t_mult=1, lr_min=0.0):
    """Cosine from lr0 to lr_min over a cycle of t_0 steps, then restart; each cycle t_mult times longer."""
    t_cur, t_i = t, t_0
    while t_cur >= t_i:  # skip the finished cycles
        t_cur, t_i = t_cur - t_i, t_i * t_mult
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / t_i))


def polynomial_decay(t, lr0, total_steps, power):
    """lr0 * (1 - t / total_steps) ** power, then 0 from total_steps on."""
    return lr0 * (1 - min(t, total_steps) / total_steps) ** power
# --8<-- [end:formulas]


# --8<-- [start:torch]
SCHEDULERS = {
    "MultiStepLR(milestones=[30, 60, 80], gamma=0.1)": (
        lambda opt: MultiStepLR(opt, milestones=[30, 60, 80], gamma=0.1),
        lambda t, lr0: multistep_decay(t, lr0, [30, 60, 80], 0.1),
    ),
    "CosineAnnealingWarmRestarts(T_0=10, T_mult=2)": (
        lambda opt: CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2),
        lambda t, lr0: sgdr(t, lr0, 10, 2),
    ),
    "PolynomialLR(total_iters=100, power=2.0)": (
        lambda opt: PolynomialLR(opt, total_iters=100, power=2.0),
        lambda t, lr0: polynomial_decay(t, lr0, 100, 2.0),
    ),
}
# --8<-- [end:torch]


if __name__ == "__main__":
    from schedules import torch_schedule

    lr0, epochs = 0.1, 100
    for name, (make, formula) in SCHEDULERS.items():
        torch_lrs = torch_schedule(make, epochs, lr0)
        gap = max(abs(a - formula(t, lr0)) for t, a in enumerate(torch_lrs))
        print(f"{name:46s} max |formula - PyTorch| over {epochs} steps = {gap:.1e}")
