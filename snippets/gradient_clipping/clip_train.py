"""A small regression MLP trained with SGD + momentum, with or without norm clipping."""

# --8<-- [start:imports]
import math

import torch
from torch import nn

# --8<-- [end:imports]
# --8<-- [start:monitor_import]
from clip_monitor import GradNormLog

# --8<-- [end:monitor_import]

# --8<-- [start:task]
def make_regression(n=2048, dim=8, seed=0):
    """Inputs x ~ N(0, I); target sin(2 x.w) plus a little noise."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=g)
    w = torch.randn(dim, 1, generator=g) / math.sqrt(dim)
    y = torch.sin(2 * x @ w) + 0.1 * torch.randn(n, 1, generator=g)
    return x, y


def make_mlp(dim=8, width=64):
    return nn.Sequential(
        nn.Linear(dim, width),
        nn.Tanh(),
        nn.Linear(width, width),
        nn.Tanh(),
        nn.Linear(width, 1),
    )


# --8<-- [end:task]


# --8<-- [start:train]
def train(max_norm=None, lr=0.2, momentum=0.9, steps=300, batch_size=32, seed=0):
    """SGD on make_regression; max_norm=None: no clipping (norms are still logged)."""
    torch.manual_seed(seed)
    model = make_mlp()
    x, y = make_regression(seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    log = GradNormLog(max_norm=float("inf") if max_norm is None else max_norm)
    batches = torch.Generator().manual_seed(seed)
    losses = []
    for step in range(steps):
        idx = torch.randint(0, len(x), (batch_size,), generator=batches)
        loss = nn.functional.mse_loss(model(x[idx]), y[idx])
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break  # the run has blown up: nothing left to train
        opt.zero_grad()
        loss.backward()
        log.clip_and_log(model)  # clips only if max_norm is finite
        opt.step()
    return {"losses": losses, "log": log, "model": model}


# --8<-- [end:train]


def final_loss(run, last=50):
    """Mean training loss over the last `last` steps (inf if the run blew up)."""
    tail = run["losses"][-last:]
    return (
        sum(tail) / len(tail) if all(math.isfinite(v) for v in tail) else float("inf")
    )


if __name__ == "__main__":
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    for name, kwargs in [
        ("no clipping, lr=0.05", dict(lr=0.05)),
        ("no clipping, lr=0.2", dict(lr=0.2)),
        ("clip c=1,    lr=0.2", dict(lr=0.2, max_norm=1.0)),
    ]:
        run = train(**kwargs)
        print(
            f"{name}: steps run {len(run['losses'])}, first loss {run['losses'][0]:.3f}, "
            f"last loss {run['losses'][-1]:.3g}, "
            f"final (mean of last 50) {final_loss(run):.3g}, "
            f"clipped fraction {run['log'].clipped_fraction():.2f}"
        )
