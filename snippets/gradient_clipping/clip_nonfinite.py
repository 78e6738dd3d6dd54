"""clip_grad_norm_ on inf/NaN gradients, and a step that skips them as GradScaler does."""

# --8<-- [start:imports]
import math

import torch
from torch import nn

# --8<-- [end:imports]

# --8<-- [start:skip]
def clip_and_step(model, optimizer, max_norm):
    """Clip by total norm and step, unless the norm is inf/NaN: then drop the gradients.

    Returns (norm, stepped). Count the skipped steps: a few are harmless, many mean a
    bug or an lr that is far too high.
    """
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    if not torch.isfinite(norm):
        optimizer.zero_grad(set_to_none=True)  # the weights stay as they were
        return norm.item(), False
    optimizer.step()
    return norm.item(), True


# --8<-- [end:skip]


def poisoned_grads(kind="inf"):
    """A tiny model whose gradients contain one inf or NaN entry, and an SGD optimizer."""
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    model(torch.randn(4, 3)).sum().backward()
    model.weight.grad[0, 0] = math.inf if kind == "inf" else math.nan
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


if __name__ == "__main__":
    # 1. default: no error, but the "clipped" gradients are garbage
    model, _ = poisoned_grads("inf")
    print("norm:", nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
    print(
        "weight grad after clipping an inf norm:", model.weight.grad.flatten().tolist()
    )
    # 2. error_if_nonfinite=True raises instead
    model, _ = poisoned_grads("nan")
    try:
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    except RuntimeError as err:
        print("RuntimeError:", err)
    # 3. skip the step: the weights are untouched
    model, opt = poisoned_grads("nan")
    before = model.weight.detach().clone()
    print(
        "clip_and_step:",
        clip_and_step(model, opt, 1.0),
        "weights unchanged:",
        torch.equal(before, model.weight),
    )
