"""Resuming a schedule: initial_lr and last_epoch, what LambdaLR's state_dict leaves out, get_last_lr()."""
# --8<-- [start:imports]
import warnings

import torch
from torch.optim.lr_scheduler import LambdaLR, StepLR
# --8<-- [end:imports]


def make_optimizer(lr=0.1):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def run(optimizer, scheduler, steps, lrs):
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


# --8<-- [start:initial-lr]
def last_epoch_without_optimizer_state():
    """Pass last_epoch to a scheduler on a fresh optimizer: the KeyError PyTorch raises, as text."""
    try:
        StepLR(make_optimizer(), step_size=3, gamma=0.5, last_epoch=3)
    except KeyError as error:
        return error.args[0]


def resume_with_last_epoch(stop, last_epoch, total=10):
    """Resume by passing last_epoch after loading the optimizer state (which holds initial_lr)."""
    optimizer = make_optimizer()
    lrs = run(optimizer, StepLR(optimizer, step_size=3, gamma=0.5), stop, [])
    checkpoint = optimizer.state_dict()
    optimizer = make_optimizer()
    optimizer.load_state_dict(checkpoint)
    scheduler = StepLR(optimizer, step_size=3, gamma=0.5, last_epoch=last_epoch)  # steps once itself
    return run(optimizer, scheduler, total - stop, lrs)
# --8<-- [end:initial-lr]


# --8<-- [start:lambda-state]
def lambda_state_after_resume(saved_factor, rebuilt_factor, stop=4, total=8):
    """Save a LambdaLR, load it into one built with another function; returns (state_dict, rates)."""
    optimizer = make_optimizer()
    scheduler = LambdaLR(optimizer, saved_factor)
    lrs = run(optimizer, scheduler, stop, [])
    state = scheduler.state_dict()
    optimizer = make_optimizer()
    scheduler = LambdaLR(optimizer, rebuilt_factor)
    scheduler.load_state_dict(state)  # restores the step count, not the function
    return state, run(optimizer, scheduler, total - stop, lrs)
# --8<-- [end:lambda-state]


# --8<-- [start:last-lr]
def logged_rates(steps=9):
    """get_last_lr() is the rate the next update uses; get_lr() outside step() warns and can be wrong."""
    optimizer = make_optimizer()
    scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
    run(optimizer, scheduler, steps, [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recomputed = scheduler.get_lr()  # applies gamma again when last_epoch is a multiple of 3
    return scheduler.get_last_lr(), optimizer.param_groups[0]["lr"], recomputed, [str(w.message) for w in caught]
# --8<-- [end:last-lr]


if __name__ == "__main__":
    print("KeyError:", last_epoch_without_optimizer_state())  # three lines: the error, then two hints
    print("last_epoch=stop-1:", resume_with_last_epoch(stop=4, last_epoch=3))
    print("last_epoch=stop:  ", resume_with_last_epoch(stop=4, last_epoch=4))
    state, lrs = lambda_state_after_resume(lambda e: 0.5**e, lambda e: 1.0)
    print("LambdaLR state_dict lr_lambdas:", state["lr_lambdas"], "rates after resume:", lrs)
    print("get_last_lr(), param_groups lr, get_lr(), warnings:", logged_rates())
