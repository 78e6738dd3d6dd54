"""PyTorch's momentum and the textbook form agree at a constant lr and part when it changes."""
# --8<-- [start:imports]
import torch

from opt_rules import run_ours, sgd_step, sutskever_step
# --8<-- [end:imports]


# --8<-- [start:lr-drop]
def step_lengths(step_fn, lrs, momentum=0.9):
    """Length of every update of a momentum run whose lr follows the list `lrs`."""
    history = run_ours(step_fn, steps=len(lrs), lrs=lrs, momentum=momentum)
    params = [torch.linspace(-2, 2, 5, dtype=torch.float64)] + [p for p, _ in history]
    return [(b - a).norm().item() for a, b in zip(params, params[1:])]


lrs = [0.02] * 20 + [0.002] * 20  # the rate drops tenfold at step 20
pytorch_form = step_lengths(sgd_step, lrs)
textbook_form = step_lengths(sutskever_step, lrs)
for t in (19, 20, 21, 25):
    print(f"step {t}: PyTorch form {pytorch_form[t]:.4f}   textbook form {textbook_form[t]:.4f}")
# --8<-- [end:lr-drop]
