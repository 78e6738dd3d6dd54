"""ReduceLROnPlateau on a fake validation-loss curve, with its rule written out, and warmup before it."""
# --8<-- [start:imports]
import torch
from torch.optim.lr_scheduler import LambdaLR, LinearLR, ReduceLROnPlateau, SequentialLR
# --8<-- [end:imports]


# --8<-- [start:curve]
def fake_val_loss(epoch):
    """Falls fast for 10 epochs, then creeps down by 0.2% an epoch: a plateau for threshold=0.01."""
    if epoch < 10:
        return 1.0 - 0.07 * epoch
    return 0.37 * 0.998 ** (epoch - 9)


def plateau_lrs(losses, lr=0.1, **plateau_args):
    """The rate each epoch trains with when ReduceLROnPlateau steps on that epoch's validation loss."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = ReduceLROnPlateau(optimizer, **plateau_args)
    lrs = []
    for loss in losses:
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # one epoch of training
        scheduler.step(loss)  # a metric, not a step count
    return lrs
# --8<-- [end:curve]


# --8<-- [start:rule]
def plateau_rule(losses, lr=0.1, factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0.0):
    """ReduceLROnPlateau's rule in mode='min', threshold_mode='rel', from scratch."""
    best, bad, cooling, lrs = float("inf"), 0, 0, []
    for loss in losses:
        lrs.append(lr)
        if loss < best * (1 - threshold):  # better by more than the relative threshold
            best, bad = loss, 0
        else:
            bad += 1
        if cooling > 0:  # bad epochs do not count during cooldown
            cooling, bad = cooling - 1, 0
        if bad > patience:  # more than `patience` bad epochs in a row
            lr, cooling, bad = max(lr * factor, min_lr), cooldown, 0
    return lrs
# --8<-- [end:rule]


# --8<-- [start:no-sequential]
def plateau_in_sequentiallr():
    """SequentialLR refuses ReduceLROnPlateau: its step() needs the metric. Returns the error."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    warmup = LinearLR(optimizer, start_factor=0.1, total_iters=5)
    plateau = ReduceLROnPlateau(optimizer)
    try:
        SequentialLR(optimizer, [warmup, plateau], milestones=[5])
    except ValueError as error:
        return str(error)
# --8<-- [end:no-sequential]


# --8<-- [start:warmup-plateau]
def warmup_then_plateau(losses, batches_per_epoch, warmup_steps, lr=0.1, stop_warmup=True, **plateau_args):
    """Linear warmup stepped per batch for `warmup_steps` batches, then ReduceLROnPlateau per epoch."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    warmup = LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup_steps))
    plateau = ReduceLROnPlateau(optimizer, **plateau_args)
    lrs, step = [], 0
    for loss in losses:
        for _ in range(batches_per_epoch):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            step += 1
            if step < warmup_steps or not stop_warmup:  # stepped on, it would undo every drop
                warmup.step()
        if step >= warmup_steps:  # epochs that are still warming up do not count as plateaus
            plateau.step(loss)
    return lrs
# --8<-- [end:warmup-plateau]


if __name__ == "__main__":
    losses = [fake_val_loss(e) for e in range(40)]
    settings = dict(factor=0.5, patience=3, threshold=0.01, cooldown=2, min_lr=0.02)
    lrs = plateau_lrs(losses, **settings)
    print("drops at epochs:", [e for e in range(1, 40) if lrs[e] < lrs[e - 1]])
    print("rates:", sorted(set(lrs), reverse=True))
    print("same as the rule:", lrs == plateau_rule(losses, **settings))
    print("SequentialLR + ReduceLROnPlateau: ValueError:", plateau_in_sequentiallr())
    warm = warmup_then_plateau(losses, batches_per_epoch=10, warmup_steps=20, **settings)
    print("warmup then plateau, rate at the start of each epoch:", [round(x, 4) for x in warm[::10]])
    print("default threshold=1e-4 sees the creep as progress:", set(plateau_lrs(losses, factor=0.5, patience=3)))
