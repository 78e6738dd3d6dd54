"""ChainedScheduler multiplies the factors of schedulers stepped together; SequentialLR runs them in turn."""
# --8<-- [start:imports]
from torch.optim.lr_scheduler import ChainedScheduler, ExponentialLR, LinearLR, SequentialLR
# --8<-- [end:imports]


# --8<-- [start:chain]
def chained(optimizer, warmup_steps, gamma, start_factor=0.1):
    """Warmup and exponential decay at once: every step() steps both, their factors multiply."""
    warmup = LinearLR(optimizer, start_factor=start_factor, total_iters=warmup_steps)
    decay = ExponentialLR(optimizer, gamma=gamma)
    return ChainedScheduler([warmup, decay])


def sequential(optimizer, warmup_steps, gamma, start_factor=0.1):
    """Warmup, then exponential decay: one scheduler at a time, switched at the milestone."""
    warmup = LinearLR(optimizer, start_factor=start_factor, total_iters=warmup_steps)
    decay = ExponentialLR(optimizer, gamma=gamma)
    return SequentialLR(optimizer, [warmup, decay], milestones=[warmup_steps])
# --8<-- [end:chain]


# --8<-- [start:closed-forms]
def linear_factor(t, warmup_steps, start_factor):
    """LinearLR's factor: from start_factor to 1 over warmup_steps, then 1."""
    return start_factor + (1 - start_factor) * min(t, warmup_steps) / warmup_steps


def chained_lr(t, lr0, warmup_steps, gamma, start_factor=0.1):
    """lr0 * linear(t) * gamma ** t: the decay runs during warmup too."""
    return lr0 * linear_factor(t, warmup_steps, start_factor) * gamma**t


def sequential_lr(t, lr0, warmup_steps, gamma, start_factor=0.1):
    """lr0 * linear(t) before the milestone, then lr0 * gamma ** (t - milestone): the decay starts late."""
    if t < warmup_steps:
        return lr0 * linear_factor(t, warmup_steps, start_factor)
    return lr0 * gamma ** (t - warmup_steps)
# --8<-- [end:closed-forms]


if __name__ == "__main__":
    from schedules import torch_schedule

    lr0, steps, warm, gamma = 0.1, 30, 5, 0.9
    chain = torch_schedule(lambda opt: chained(opt, warm, gamma), steps, lr0)
    seq = torch_schedule(lambda opt: sequential(opt, warm, gamma), steps, lr0)
    for t in (0, 4, 5, 10, 29):
        print(f"step {t:2d}  ChainedScheduler {chain[t]:.5f}  SequentialLR {seq[t]:.5f}")
    print("peaks:", f"chained {max(chain):.5f} at step {chain.index(max(chain))},",
          f"sequential {max(seq):.5f} at step {seq.index(max(seq))}")
