"""Step, exponential and cosine learning-rate decay in plain Python, beside PyTorch's schedulers."""
# --8<-- [start:imports]
import math

import torch
# --8<-- [end:imports]


# --8<-- [start:formulas]
def step_decay(t, lr0, step_size, gamma):
    """lr0 * gamma ** floor(t / step_size): drop by `gamma` every `step_size` steps."""
    return lr0 * gamma ** (t // step_size)


def exponential_decay(t, lr0, gamma):
    """lr0 * gamma ** t: multiply by `gamma` every step."""
    return lr0 * gamma**t


def continuous_exponential_decay(t, lr0, k):
    """lr0 * exp(-k * t): the continuous form; equals exponential_decay with gamma = exp(-k)."""
    return lr0 * math.exp(-k * t)


def cosine_decay(t, lr0, t_max, lr_min=0.0):
    """Half a cosine from lr0 (t = 0) down to lr_min (t = t_max)."""
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t / t_max))
# --8<-- [end:formulas]


# --8<-- [start:convert]
def gamma_from_k(k):
    """Per-step factor of ExponentialLR that reproduces lr0 * exp(-k * t)."""
    return math.exp(-k)


def k_from_gamma(gamma):
    """Continuous decay rate of ExponentialLR(gamma): gamma ** t = exp(-k * t)."""
    return -math.log(gamma)
# --8<-- [end:convert]


# --8<-- [start:torch]
def torch_schedule(make_scheduler, steps, lr0=0.1):
    """The learning rate a PyTorch scheduler gives at each of `steps` steps.

    `make_scheduler(optimizer)` builds the scheduler; the loop calls optimizer.step() then
    scheduler.step(), the order PyTorch requires, and records the rate each step trained with.
    """
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr0)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs
# --8<-- [end:torch]


if __name__ == "__main__":
    from torch.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

    lr0, epochs = 0.1, 100
    pairs = {
        "StepLR(step_size=30, gamma=0.1)": (
            lambda opt: StepLR(opt, step_size=30, gamma=0.1),
            lambda t: step_decay(t, lr0, 30, 0.1),
        ),
        "ExponentialLR(gamma=0.95)": (
            lambda opt: ExponentialLR(opt, gamma=0.95),
            lambda t: exponential_decay(t, lr0, 0.95),
        ),
        "CosineAnnealingLR(T_max=100)": (
            lambda opt: CosineAnnealingLR(opt, T_max=epochs),
            lambda t: cosine_decay(t, lr0, epochs),
        ),
    }
    for name, (make, formula) in pairs.items():
        torch_lrs = torch_schedule(make, epochs, lr0)
        gap = max(abs(a - formula(t)) for t, a in enumerate(torch_lrs))
        print(f"{name:34s} max |formula - PyTorch| over {epochs} steps = {gap:.1e}")
    print(f"ExponentialLR(gamma=0.95) is lr0 * exp(-k t) with k = {k_from_gamma(0.95):.5f}")
