"""Exercise: make the textbook momentum follow PyTorch's when the learning rate changes."""
from opt_rules import run_ours, sgd_step


def rescaled_sutskever_step(p, g, state, lr, momentum):
    """Textbook momentum whose stored velocity is rescaled by lr_new / lr_old before each step."""
    v = state.get("velocity")
    if v is not None:
        v = v * (lr / state["lr"])  # the step already taken carries the old rate: swap it
    v = momentum * (v if v is not None else 0) - lr * g
    state["velocity"], state["lr"] = v, lr
    p += v


lrs = [0.02] * 20 + [0.002] * 20
ours = run_ours(rescaled_sutskever_step, steps=40, lrs=lrs, momentum=0.9)
pytorch = run_ours(sgd_step, steps=40, lrs=lrs, momentum=0.9)
print("max gap:", max((a - b).abs().max().item() for (a, _), (b, _) in zip(ours, pytorch)))
