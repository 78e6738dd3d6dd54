"""Switch schedules mid-training: cosine for the first half, then step decay, with no surprises."""
import math

from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, SequentialLR, StepLR

from schedules import torch_schedule


# --8<-- [start:recipe]
def cosine_then_step(optimizer, switch_epoch, lr_switch, step_size, gamma):
    """Cosine from the optimizer's lr down to `lr_switch` at `switch_epoch`, then step decay from there.

    The second phase is a LambdaLR whose factor is relative to the initial lr, so it starts exactly
    where the cosine ended instead of jumping back to the initial lr.
    """
    lr0 = optimizer.param_groups[0]["lr"]
    cosine = CosineAnnealingLR(optimizer, T_max=switch_epoch, eta_min=lr_switch)
    step = LambdaLR(optimizer, lambda e: (lr_switch / lr0) * gamma ** (e // step_size))
    return SequentialLR(optimizer, [cosine, step], milestones=[switch_epoch])
# --8<-- [end:recipe]


def expected_lr(epoch, lr0, switch_epoch, lr_switch, step_size, gamma):
    """What the reader means by 'cosine, then step decay': the rate at every epoch."""
    if epoch < switch_epoch:
        return lr_switch + 0.5 * (lr0 - lr_switch) * (1 + math.cos(math.pi * epoch / switch_epoch))
    return lr_switch * gamma ** ((epoch - switch_epoch) // step_size)


# --8<-- [start:wrong]
def two_schedulers_by_hand(optimizer, switch_epoch, step_size, gamma):
    """Tempting and wrong: two schedulers on one optimizer, stepping one or the other.

    The cosine anneals the rate to exactly 0.0 at `switch_epoch`; StepLR then multiplies 0.0 by gamma.
    """
    cosine = CosineAnnealingLR(optimizer, T_max=switch_epoch)
    step = StepLR(optimizer, step_size=step_size, gamma=gamma)

    class ByHand:
        epoch = 0

        def step(self):
            (cosine if self.epoch < switch_epoch else step).step()
            self.epoch += 1

    return ByHand()


def sequential_with_steplr(optimizer, switch_epoch, lr_switch, step_size, gamma):
    """Also tempting: SequentialLR restarts StepLR from the initial lr, a jump back up."""
    cosine = CosineAnnealingLR(optimizer, T_max=switch_epoch, eta_min=lr_switch)
    step = StepLR(optimizer, step_size=step_size, gamma=gamma)
    return SequentialLR(optimizer, [cosine, step], milestones=[switch_epoch])
# --8<-- [end:wrong]


if __name__ == "__main__":
    lr0, epochs, settings = 0.1, 100, dict(switch_epoch=50, lr_switch=0.01, step_size=10, gamma=0.5)
    lrs = torch_schedule(lambda opt: cosine_then_step(opt, **settings), epochs, lr0)
    for epoch in (0, 25, 49, 50, 59, 60, 99):
        print(f"epoch {epoch:3d}  lr {lrs[epoch]:.6f}  expected {expected_lr(epoch, lr0, **settings):.6f}")
    stuck = torch_schedule(lambda opt: two_schedulers_by_hand(opt, 50, 10, 0.5), epochs, lr0)
    print("two schedulers by hand, epochs 50-99: distinct rates", sorted(set(stuck[50:])))
