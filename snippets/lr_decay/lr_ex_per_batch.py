"""Exercise: MultiStepLR written for epochs, rewritten to step once per batch."""
from torch.optim.lr_scheduler import MultiStepLR

from schedules import torch_schedule

EPOCHS, BATCHES, MILESTONES = 90, 100, [30, 60]


def per_epoch(optimizer):
    return MultiStepLR(optimizer, milestones=MILESTONES, gamma=0.1)


def per_batch(optimizer):
    """The same schedule stepped every batch: every milestone times the batches per epoch."""
    return MultiStepLR(optimizer, milestones=[m * BATCHES for m in MILESTONES], gamma=0.1)


if __name__ == "__main__":
    epoch_lrs = torch_schedule(per_epoch, EPOCHS)
    batch_lrs = torch_schedule(per_batch, EPOCHS * BATCHES)
    print("equal at every epoch boundary:", batch_lrs[::BATCHES] == epoch_lrs)
    print("constant within every epoch:", all(
        len(set(batch_lrs[e * BATCHES:(e + 1) * BATCHES])) == 1 for e in range(EPOCHS)))
