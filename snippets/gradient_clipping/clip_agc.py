"""Adaptive gradient clipping (AGC): clip each unit's gradient relative to its weights."""

# --8<-- [start:imports]
import torch
from torch import nn

# --8<-- [end:imports]
from clip_train import make_mlp

# --8<-- [start:agc]
def unitwise_norm(x):
    """L2 norm per output unit: a row of a Linear weight, a filter of a conv.

    A 1-D tensor (a bias, a gain) counts as one unit.
    """
    if x.ndim <= 1:
        return torch.linalg.vector_norm(x)
    return torch.linalg.vector_norm(x, dim=tuple(range(1, x.ndim)), keepdim=True)


@torch.no_grad()
def adaptive_clip_(parameters, clipping=0.01, eps=1e-3):
    """In place, per unit i: if ||G_i|| / max(||W_i||, eps) > clipping, rescale G_i
    to exactly that ratio; other units are left as they are."""
    for p in parameters:
        if p.grad is None:
            continue
        max_norm = clipping * unitwise_norm(p).clamp(min=eps)
        grad_norm = unitwise_norm(p.grad)
        # 1e-6: no division by zero when a gradient is exactly zero
        scale = max_norm / grad_norm.clamp(min=1e-6)
        p.grad.mul_(torch.where(grad_norm > max_norm, scale, torch.ones_like(scale)))


def agc_parameters(model):
    """Every parameter but those of the last nn.Linear, which AGC usually leaves alone."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    skip = {id(p) for p in last.parameters()}
    return [p for p in model.parameters() if id(p) not in skip]


# --8<-- [end:agc]


def unit_ratios(model):
    """Per layer: the largest ||G_i|| / max(||W_i||, 1e-3) over its weight's units."""
    return {
        name: round((unitwise_norm(p.grad) / unitwise_norm(p).clamp(min=1e-3)).max().item(), 3)
        for name, p in model.named_parameters()
        if name.endswith("weight")
    }


def exploding_layer_grads(seed=0):
    """The chapter's MLP after one backward pass, with layer 2's gradient made 1000x too big."""
    torch.manual_seed(seed)
    model = make_mlp()
    x = torch.randn(32, 8)
    nn.functional.mse_loss(model(x), torch.sin(x.sum(1, keepdim=True))).backward()
    model[2].weight.grad *= 1000  # one layer's gradient explodes
    return model


if __name__ == "__main__":
    model = exploding_layer_grads()
    first = model[0].weight.grad.clone()
    print("largest unit ratio per weight, before:", unit_ratios(model))
    adaptive_clip_(agc_parameters(model), clipping=0.2)
    print("after AGC (lambda = 0.2):", unit_ratios(model))
    print("layer 0 untouched by AGC:", torch.equal(first, model[0].weight.grad))
    model = exploding_layer_grads()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    shrink = (model[0].weight.grad.norm() / first.norm()).item()
    print(f"clip_grad_norm_(c = 1) scales layer 0's gradient by {shrink:.1e} too")
