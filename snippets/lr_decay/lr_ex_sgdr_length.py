"""Exercise: where SGDR restarts, and a run length that ends exactly at the end of a cycle."""
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

from schedules import torch_schedule


def cycle_ends(t_0, t_mult, limit):
    """Steps at which a cycle ends (and the next restarts): t_0, t_0 + t_0 t_mult, ... up to limit."""
    ends, end, length = [], 0, t_0
    while end + length <= limit:
        end, length = end + length, length * t_mult
        ends.append(end)
    return ends


if __name__ == "__main__":
    ends = cycle_ends(10, 2, 200)
    print("cycles end at steps", ends)  # 10, 30, 70, 150: a run of 150 steps ends at the bottom
    lrs = torch_schedule(lambda opt: CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2), 201)
    restarts = [t for t in range(1, 201) if lrs[t] > lrs[t - 1]]
    print("PyTorch restarts at steps", restarts, "- rate at step 149:", f"{lrs[149]:.2e}")
