"""How nn.BatchNorm1d's running mean and variance approach the data's statistics, step by step."""
import torch
from torch import nn


# --8<-- [start:trace]
def running_stats_trace(momentum, steps=150, batch_size=32, mean=3.0, std=2.0, seed=0):
    """Feed `steps` training batches from N(mean, std^2) to one BN channel; record its buffers."""
    g = torch.Generator().manual_seed(seed)
    bn = nn.BatchNorm1d(1, momentum=momentum)  # momentum=None: cumulative average
    bn.train()
    means, variances = [], []
    with torch.no_grad():  # buffers update in training mode with or without autograd
        for _ in range(steps):
            bn(mean + std * torch.randn(batch_size, 1, generator=g))
            means.append(bn.running_mean.item())
            variances.append(bn.running_var.item())
    return torch.tensor(means), torch.tensor(variances)
# --8<-- [end:trace]


if __name__ == "__main__":
    for momentum in [0.1, 0.01, None]:
        means, variances = running_stats_trace(momentum)
        print(f"momentum={momentum}: after 10/50/150 steps running_mean "
              f"{means[9]:.3f} / {means[49]:.3f} / {means[-1]:.3f} (true 3.0), running_var "
              f"{variances[9]:.3f} / {variances[49]:.3f} / {variances[-1]:.3f} (true 4.0)")
