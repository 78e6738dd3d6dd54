"""How noisy BN's batch statistics are as the batch shrinks: spread of batch mean and variance."""
import math

import torch


# --8<-- [start:spread]
def batch_stat_spread(m, trials=4000, mean=0.0, std=1.0, seed=0):
    """Draw `trials` batches of m values from N(mean, std^2); return the std (over batches)
    of the batch mean and of the biased batch variance that BN normalises with."""
    g = torch.Generator().manual_seed(seed)
    batches = mean + std * torch.randn(trials, m, generator=g, dtype=torch.float64)
    batch_means = batches.mean(dim=1)
    batch_vars = batches.var(dim=1, correction=0)
    return batch_means.std().item(), batch_vars.std().item()


def predicted_spread(m, std=1.0):
    """Normal-theory values: std(mean) = std/sqrt(m), std(biased var) = std^2 sqrt(2(m-1))/m."""
    return std / math.sqrt(m), std**2 * math.sqrt(2 * (m - 1)) / m
# --8<-- [end:spread]


if __name__ == "__main__":
    for m in [2, 4, 8, 32, 128]:
        (mean_sd, var_sd), (mean_th, var_th) = batch_stat_spread(m), predicted_spread(m)
        print(f"m={m:4d}  std of batch mean {mean_sd:.3f} (theory {mean_th:.3f})  "
              f"std of batch variance {var_sd:.3f} (theory {var_th:.3f})")
