"""Three scheduler mistakes readers hit, each beside its fix."""
import warnings

import torch
from torch.optim.lr_scheduler import StepLR


def make_optimizer(lr=0.1):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


# --8<-- [start:order]
def rates_trained_with(scheduler_first, steps=6):
    """Learning rates the optimizer actually used, for either call order, and PyTorch's warnings."""
    optimizer = make_optimizer()
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    used = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            if scheduler_first:
                scheduler.step()  # wrong: the first rate is skipped
            used.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if not scheduler_first:
                scheduler.step()  # right: after optimizer.step()
    return used, [str(w.message) for w in caught]
# --8<-- [end:order]


# --8<-- [start:resume]
def train(epochs, optimizer, scheduler, lrs):
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()


def resume_demo(total=10, stop=4, load_scheduler_state=True):
    """Stop after `stop` epochs, save a checkpoint, resume in fresh objects; return the whole curve."""
    lrs = []
    optimizer = make_optimizer()
    scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
    train(stop, optimizer, scheduler, lrs)
    checkpoint = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}

    optimizer = make_optimizer()  # a new process builds everything again ...
    scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
    optimizer.load_state_dict(checkpoint["optimizer"])  # ... the optimizer state holds the lr
    if load_scheduler_state:
        scheduler.load_state_dict(checkpoint["scheduler"])  # ... and this holds the step count
    train(total - stop, optimizer, scheduler, lrs)
    return lrs
# --8<-- [end:resume]


# --8<-- [start:units]
def lr_after_one_epoch(batches_per_epoch, step_size_epochs=30, convert=True):
    """StepLR written in epochs but stepped every batch: convert step_size, or it decays too soon."""
    optimizer = make_optimizer()
    step_size = step_size_epochs * batches_per_epoch if convert else step_size_epochs
    scheduler = StepLR(optimizer, step_size=step_size, gamma=0.1)
    for _ in range(batches_per_epoch):
        optimizer.step()
        scheduler.step()  # per batch
    return optimizer.param_groups[0]["lr"]
# --8<-- [end:units]


if __name__ == "__main__":
    for first in (True, False):
        used, messages = rates_trained_with(scheduler_first=first)
        print(f"scheduler.step() first={first}: rates {used}, warned={bool(messages)}")
        for message in messages:
            print("UserWarning:", message)
    print("resume with scheduler state:   ", resume_demo(load_scheduler_state=True))
    print("resume without scheduler state:", resume_demo(load_scheduler_state=False))
    print("StepLR(30 'epochs') per batch, 100 batches/epoch, after 1 epoch:",
          lr_after_one_epoch(100, convert=False), "converted:", lr_after_one_epoch(100))
