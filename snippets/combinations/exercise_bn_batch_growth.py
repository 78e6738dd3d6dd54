"""Exercise solution: how much less a BatchNorm output depends on its batchmates as the batch grows."""
import torch

from norm_small_batch import batchmate_sensitivity


def sensitivity_by_batch_size(batch_sizes=(8, 32, 128), trials=20):
    """batchmate_sensitivity of one BatchNorm2d(16) layer at each batch size."""
    bn = torch.nn.BatchNorm2d(16)
    return {b: batchmate_sensitivity(bn, b, trials=trials) for b in batch_sizes}


if __name__ == "__main__":
    sensitivity = sensitivity_by_batch_size()
    sizes = list(sensitivity)
    for small, large in zip(sizes, sizes[1:]):
        print(f"B={small:3d} -> {large:3d}: {sensitivity[small]:.4f} -> {sensitivity[large]:.4f}, "
              f"{sensitivity[small] / sensitivity[large]:.2f} times less")
