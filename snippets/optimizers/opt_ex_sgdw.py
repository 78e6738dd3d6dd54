"""Exercise: SGD with decoupled weight decay (SGDW) differs from SGD's L2 once momentum is on."""
import torch

from opt_rules import run_ours, sgd_step


def sgdw_step(p, g, state, lr, momentum, weight_decay):
    """Shrink p by (1 - lr * weight_decay), then take a momentum step on the loss gradient alone."""
    p *= 1 - lr * weight_decay
    sgd_step(p, g, state, lr, momentum=momentum)


hyper = dict(lr=0.01, momentum=0.9, weight_decay=0.1)
l2 = run_ours(sgd_step, **hyper)
decoupled = run_ours(sgdw_step, **hyper)
print("max gap, momentum 0.9:", max((a - b).abs().max().item() for (a, _), (b, _) in zip(l2, decoupled)))
hyper["momentum"] = 0.0
gap = max((a - b).abs().max().item() for (a, _), (b, _) in zip(run_ours(sgd_step, **hyper), run_ours(sgdw_step, **hyper)))
print("max gap, no momentum:", gap)
