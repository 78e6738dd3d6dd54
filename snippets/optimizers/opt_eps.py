"""Where Adam's eps goes: two plausible placements that torch.optim.Adam does not use."""
# --8<-- [start:imports]
from functools import partial

import torch

from opt_rules import adam_step, bumpy_loss, max_gap, run_ours, run_torch
# --8<-- [end:imports]


# --8<-- [start:variants]
def adam_eps_inside_root(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8):
    """Adam with sqrt(v_hat + eps): a placement some other libraries use, not PyTorch's."""
    beta1, beta2 = betas
    state["step"] = t = state.get("step", 0) + 1
    m = state["exp_avg"] = beta1 * state.get("exp_avg", 0) + (1 - beta1) * g
    v = state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0) + (1 - beta2) * g * g
    p -= lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps).sqrt()


def adam_eps_before_correction(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8):
    """Adam with the paper's 'efficient' step: eps added to sqrt(v) before bias correction."""
    beta1, beta2 = betas
    state["step"] = t = state.get("step", 0) + 1
    m = state["exp_avg"] = beta1 * state.get("exp_avg", 0) + (1 - beta1) * g
    v = state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0) + (1 - beta2) * g * g
    p -= lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t) * m / (v.sqrt() + eps)
# --8<-- [end:variants]


# --8<-- [start:check]
def tiny_loss(p):
    """The bumpy loss scaled by 1e-6: gradients near eps, where its placement shows."""
    return 1e-6 * bumpy_loss(p)


theirs = run_torch(partial(torch.optim.Adam, lr=0.01), loss_fn=tiny_loss)
for step in (adam_step, adam_eps_inside_root, adam_eps_before_correction):
    gap = max_gap(run_ours(step, loss_fn=tiny_loss, lr=0.01), theirs)
    print(f"{step.__name__:28s} max |ours - torch.optim.Adam| = {gap:.1e}")
# --8<-- [end:check]
