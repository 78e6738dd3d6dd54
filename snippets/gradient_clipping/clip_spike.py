"""A reproducible loss spike with Adam: quiet gradients shrink v, then one step takes off."""

# --8<-- [start:imports]
import torch
from torch import nn

from clip_monitor import GradNormLog

# --8<-- [end:imports]


# --8<-- [start:run]
def make_teacher_task(n=64, dim=8, seed=0):
    """Inputs and the outputs of a small random tanh net: a student can fit them exactly."""
    torch.manual_seed(seed)
    x = torch.randn(n, dim)
    teacher = nn.Sequential(nn.Linear(dim, 16), nn.Tanh(), nn.Linear(16, 1))
    with torch.no_grad():
        y = teacher(x)
    student = nn.Sequential(
        nn.Linear(dim, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
    )
    return x, y, student


def adam_sqrt_v(optimizer):
    """Median over all coordinates of sqrt(v_hat), the scale Adam divides by."""
    beta2 = optimizer.param_groups[0]["betas"][1]
    scales = []
    for state in optimizer.state.values():
        v_hat = state["exp_avg_sq"] / (1 - beta2 ** state["step"].item())
        scales.append(v_hat.sqrt().flatten())
    return torch.cat(scales).median().item()


def spike_run(lr=1e-2, eps=1e-8, max_norm=float("inf"), steps=1000, seed=0):
    """Full-batch Adam on the teacher task; logs loss, gradient norms and sqrt(v_hat)."""
    x, y, model = make_teacher_task(seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=eps)
    log = GradNormLog(max_norm=max_norm)  # clips only if max_norm is finite
    losses, sqrt_v = [], []
    for step in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        log.clip_and_log(model)
        opt.step()
        losses.append(loss.item())
        sqrt_v.append(adam_sqrt_v(opt))
    return {"losses": losses, "log": log, "sqrt_v": sqrt_v}


# --8<-- [end:run]


# --8<-- [start:measure]
def spike_height(losses, start=300):
    """Largest ratio of a loss to the best loss before it, after `start`, and its step."""
    best, height, at = float("inf"), 0.0, None
    for step, loss in enumerate(losses):
        if step >= start and loss / best > height:
            height, at = loss / best, step
        best = min(best, loss)
    return height, at


def first_spike(losses, factor=10.0, start=300):
    """First step whose loss is `factor` times the best loss before it (None: no spike)."""
    best = float("inf")
    for step, loss in enumerate(losses):
        if step >= start and loss > factor * best:
            return step
        best = min(best, loss)
    return None


def clipped_share(norms, max_norm, start, stop):
    """Share of the steps start..stop-1 whose norm before clipping exceeds max_norm."""
    window = norms[start:stop]
    return sum(n > max_norm for n in window) / len(window)


# --8<-- [end:measure]


if __name__ == "__main__":
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    for name, kwargs in [
        ("lr=1e-2, eps=1e-8", dict()),
        ("lr=1e-2, eps=1e-6", dict(eps=1e-6)),
        ("lr=1e-2, eps=1e-4", dict(eps=1e-4)),
        ("lr=1e-2, eps=1e-3", dict(eps=1e-3)),
        ("lr=3e-3, eps=1e-8", dict(lr=3e-3)),
    ]:
        run = spike_run(**kwargs)
        height, at = spike_height(run["losses"])
        norms = run["log"].total
        print(
            f"{name}: first spike at step {first_spike(run['losses'])}, "
            f"worst jump {height:.3g}x the best loss so far (step {at}), "
            f"largest norm after step 300 {max(norms[300:]):.2g}, "
            f"c = 1 would clip {clipped_share(norms, 1.0, 0, len(norms)):.0%} of the steps"
        )
