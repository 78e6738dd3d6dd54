"""Exercise: a smaller last micro-batch. Weight by 1/k or by n_i / N?"""
import torch
from torch import nn

from dist_accum import accumulate, make_data, make_run


def flat_grad(model):
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def grad_after(micro_batches, weights=None):
    """The accumulated gradient; `weights` replaces n_i / N by given per-micro-batch weights."""
    model, _, _ = make_run()
    if weights is None:
        accumulate(model, micro_batches)
    else:
        for (x, y), w in zip(micro_batches, weights):
            (nn.functional.mse_loss(model(x), y) * w).backward()
    return flat_grad(model)


if __name__ == "__main__":
    x, y = make_data()
    sizes = [12, 12, 8]  # 32 examples with micro-batches of 12: the last one has 8
    micro_batches = list(zip(x.split(sizes), y.split(sizes)))
    big = grad_after([(x, y)])
    by_size = grad_after(micro_batches)
    one_over_k = grad_after(micro_batches, [1 / 3] * 3)
    print(f"n_i / N: max |grad - big batch| = {(by_size - big).abs().max().item():.1e}")
    print(f"1 / k:   max |grad - big batch| = {(one_over_k - big).abs().max().item():.1e}")
