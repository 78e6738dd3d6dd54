"""Exercise: how many steps with momentum 0.1 until BN's running statistics are within 1% of the data's?"""
import math

import torch
from torch import nn

from bn_running import running_stats_trace


def steps_to_one_percent(momentum, mean=3.0, var=4.0, batch_size=32, max_steps=10_000):
    """Feed one fixed batch (mean exactly `mean`, unbiased variance exactly `var`) to a fresh
    BatchNorm1d; return the first step at which running_mean and running_var are each within 1%."""
    z = torch.randn(batch_size, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x = mean + math.sqrt(var) * (z - z.mean()) / z.std()  # std() is the unbiased one
    bn = nn.BatchNorm1d(1, momentum=momentum).double()
    found = {}
    with torch.no_grad():
        for step in range(1, max_steps + 1):
            bn(x)
            if "mean" not in found and abs(bn.running_mean.item() - mean) <= 0.01 * abs(mean):
                found["mean"] = step
            if "var" not in found and abs(bn.running_var.item() - var) <= 0.01 * var:
                found["var"] = step
            if len(found) == 2:
                return found


def formula(momentum, start, target):
    """Smallest k with |start - target| * (1 - momentum)**k <= 0.01 * |target|."""
    return math.ceil(math.log(0.01 * abs(target) / abs(start - target)) / math.log(1 - momentum))


for momentum in [0.1, 0.01]:
    found = steps_to_one_percent(momentum)
    print(f"momentum={momentum}: running_mean after {found['mean']} steps (formula {formula(momentum, 0.0, 3.0)}),",
          f"running_var after {found['var']} steps (formula {formula(momentum, 1.0, 4.0)})")

# fresh random batches of 32 instead: the estimate fluctuates around the truth and never settles
means, variances = running_stats_trace(0.1, steps=2000)
settled = means[100:]
predicted = math.sqrt(0.1 / (2 - 0.1)) * 2.0 / math.sqrt(32)  # std of an EMA of batch means
print(f"random batches, momentum=0.1: std of running_mean {settled.std():.3f} (predicted {predicted:.3f}),",
      f"within 1% of 3.0 at {((settled - 3.0).abs() <= 0.03).float().mean():.0%} of the steps")
