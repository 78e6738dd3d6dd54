"""Exercise: fold an eval-mode BatchNorm1d into the Linear layer before it, and into the one after it."""
import copy

import torch
from torch import nn


def bn_scale_shift(bn):
    """Eval-mode BN as y = s * x + t per feature: s = gamma / sqrt(var + eps), t = beta - s * mean."""
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return s, bn.bias - s * bn.running_mean


def fold_into_previous(linear, bn):
    """One Linear equal to bn(linear(x)): scale row j of W and b_j by s_j, then add t_j."""
    s, t = bn_scale_shift(bn)
    fused = copy.deepcopy(linear)  # same shape and dtype
    with torch.no_grad():
        fused.weight.copy_(s[:, None] * linear.weight)
        fused.bias.copy_(s * linear.bias + t)
    return fused


def fold_into_next(bn, linear):
    """One Linear equal to linear(bn(x)): W diag(s) x + (W t + b), scaling column j of W by s_j."""
    s, t = bn_scale_shift(bn)
    fused = copy.deepcopy(linear)
    with torch.no_grad():
        fused.weight.copy_(linear.weight * s[None, :])
        fused.bias.copy_(linear.weight @ t + linear.bias)
    return fused


torch.manual_seed(0)
first, bn, second = nn.Linear(20, 16), nn.BatchNorm1d(16), nn.Linear(16, 4)
with torch.no_grad():
    bn.weight.uniform_(0.5, 2.0), bn.bias.normal_()
    for _ in range(20):  # training-mode forwards give non-trivial running statistics
        bn(first(2.0 * torch.randn(64, 20) + 1.0))
bn.eval()
x = 2.0 * torch.randn(8, 20) + 1.0
with torch.no_grad():
    before = (fold_into_previous(first, bn)(x) - bn(first(x))).abs().max().item()
    hidden = first(x)
    after = (fold_into_next(bn, second)(hidden) - second(bn(hidden))).abs().max().item()
print(f"Linear -> BN folded: {before:.1e}, BN -> Linear folded: {after:.1e}")
