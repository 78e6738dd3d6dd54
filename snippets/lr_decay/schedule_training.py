"""The same tiny model trained under four schedules with the same peak rate: what the schedule changes."""
# --8<-- [start:imports]
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, MultiStepLR, OneCycleLR

from range_test import digits_data, train
# --8<-- [end:imports]

# --8<-- [start:schedules]
PEAK_LR, STEPS = 0.4, 300  # about the rate the range test picked; 300 batches of 64
SCHEDULES = {
    "Constant": lambda opt, steps: LambdaLR(opt, lambda step: 1.0),
    "Step: ×0.1 at 50% and 75%": lambda opt, steps: MultiStepLR(opt, [steps // 2, 3 * steps // 4], 0.1),
    "Cosine": lambda opt, steps: CosineAnnealingLR(opt, T_max=steps),
    "One-cycle": lambda opt, steps: OneCycleLR(opt, max_lr=PEAK_LR, total_steps=steps),
}


def compare(steps=STEPS):
    """Train once per schedule from the same initial weights and batches; return each run."""
    x, y = digits_data()
    return {name: train(x, y, make, PEAK_LR, steps) for name, make in SCHEDULES.items()}


def final_loss(run, last=30):
    """Mean training loss over the last `last` batches: less noisy than the very last one."""
    return sum(run["loss"][-last:]) / last
# --8<-- [end:schedules]


if __name__ == "__main__":
    torch.set_num_threads(1)  # the same numbers as the tests
    for name, run in compare().items():
        print(f"{name:26s} final loss {final_loss(run):.4f}  accuracy on all digits {run['final_accuracy']:.4f}")
