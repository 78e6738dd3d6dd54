"""Exercise: clip by the global p-norm from scratch and match clip_grad_norm_ in float64."""
import math

import torch


def clip_by_global_norm(grads, max_norm, norm_type=2.0):
    """clip_grad_norm_ by hand for any p >= 1 or inf; returns the norm before clipping."""
    flat = torch.cat([g.flatten() for g in grads])
    if math.isinf(norm_type):
        total = flat.abs().max()
    else:
        total = flat.abs().pow(norm_type).sum().pow(1.0 / norm_type)
    scale = min(1.0, max_norm / (total.item() + 1e-6))  # PyTorch's 1e-6, never scale up
    for g in grads:
        g.mul_(scale)
    return total


def max_gap(norm_type, max_norm=0.5, seed=0):
    """Largest difference to torch, over the returned norm and every clipped entry."""
    torch.manual_seed(seed)
    params = [torch.nn.Parameter(torch.randn(s, dtype=torch.float64)) for s in [(6, 4), (6,), (3, 6)]]
    for p in params:
        p.grad = torch.randn_like(p)
    ours = [p.grad.clone() for p in params]
    n_ours = clip_by_global_norm(ours, max_norm, norm_type)
    n_torch = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    gaps = [(n_ours - n_torch).abs().item()]
    gaps += [(a - p.grad).abs().max().item() for a, p in zip(ours, params)]
    return max(gaps)


for p in (1.0, 2.0, 3.0, math.inf):
    print(f"norm_type {p}: max gap to torch {max_gap(p):.1e}")
