"""Exercise: one sample of shape (1, C) in training mode: BatchNorm1d refuses it; GroupNorm and LayerNorm?"""
import torch
from torch import nn


def try_layer(layer, x):
    """Describe the layer's output spread and input gradient on x, or the ValueError it raises."""
    x = x.clone().requires_grad_()
    try:
        y = layer(x)
    except ValueError as err:
        return f"ValueError: {err}"
    (y * torch.linspace(-1.0, 1.0, y.numel()).view_as(y)).sum().backward()  # a loss not constant in y
    return (f"output std {y.std(correction=0):.3f}, largest |output| {y.abs().max():.3g}, "
            f"largest |input gradient| {x.grad.abs().max():.3g}")


torch.manual_seed(0)
one = 3.0 * torch.randn(1, 64) + 1.0
for name, layer in {"BatchNorm1d(64)": nn.BatchNorm1d(64), "LayerNorm(64)": nn.LayerNorm(64),
                    "GroupNorm(8, 64)": nn.GroupNorm(8, 64), "GroupNorm(64, 64)": nn.GroupNorm(64, 64)}.items():
    print(f"{name}, train, (1, 64): {try_layer(layer.train(), one)}")

# one channel per group leaves one value per group and sample, whatever the mode and the batch
print("GroupNorm(64, 64), eval, (1, 64):", try_layer(nn.GroupNorm(64, 64).eval(), one))
print("GroupNorm(64, 64), train, (2, 64):", try_layer(nn.GroupNorm(64, 64), torch.randn(2, 64)))
# BatchNorm1d counts values per channel, not samples: one sequence of length 10 is accepted
print("BatchNorm1d(64), train, (1, 64, 10):", try_layer(nn.BatchNorm1d(64), torch.randn(1, 64, 10)))
