"""Exercise: DDP averages gradients over processes. With 20 and 12 examples, which loss weights?"""
import torch
from torch import nn

from dist_accum import make_data, make_run


def rank_loss_weight(n_local, n_global, world_size):
    """Multiply the local mean loss by this: DDP's average then equals the global mean gradient."""
    return world_size * n_local / n_global


def ddp_average(shares, weighted):
    """What DDP computes, on one process: each share's gradient, averaged over the shares."""
    grads = []
    n_global = sum(len(x) for x, _ in shares)
    for x, y in shares:
        model, _, _ = make_run()
        loss = nn.functional.mse_loss(model(x), y)
        if weighted:
            loss = loss * rank_loss_weight(len(x), n_global, len(shares))
        loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    return torch.stack(grads).mean(0)


if __name__ == "__main__":
    x, y = make_data()
    shares = list(zip(x.split([20, 12]), y.split([20, 12])))
    model, _, _ = make_run()
    nn.functional.mse_loss(model(x), y).backward()
    big = torch.cat([p.grad.flatten() for p in model.parameters()])
    for weighted in (False, True):
        diff = (ddp_average(shares, weighted) - big).abs().max().item()
        print(f"{'weighted' if weighted else 'plain mean loss'}: max |grad - global batch| = {diff:.1e}")
