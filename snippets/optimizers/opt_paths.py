"""Paths of SGD, momentum, Nesterov and Adam on two 2-D test functions, from torch.optim."""
# --8<-- [start:imports]
from functools import partial

import torch
# --8<-- [end:imports]


# --8<-- [start:paths]
def quadratic(p):
    """An ill-conditioned bowl: 50 times steeper along y than along x; minimum at (0, 0)."""
    return 0.5 * (p[0] ** 2 + 50 * p[1] ** 2)


def valley(p):
    """A Rosenbrock-like curved valley; minimum at (1, 1)."""
    return (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2


OPTIMIZERS = {  # one learning rate per function, the same for every optimizer of the SGD family
    "Plain SGD": partial(torch.optim.SGD),
    "Momentum 0.9": partial(torch.optim.SGD, momentum=0.9),
    "Nesterov 0.9": partial(torch.optim.SGD, momentum=0.9, nesterov=True),
    "Adam, lr 0.1": partial(torch.optim.Adam),
}
SETTINGS = {"quadratic": (quadratic, (-4.0, 1.0), 0.02, 0.1), "valley": (valley, (-1.0, 2.0), 0.01, 0.1)}


def path(function, start, make_optimizer, lr, steps):
    """The points an optimizer visits on `function` from `start`: a (steps + 1, 2) tensor."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p], lr=lr)
    points = [p.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        function(p).backward()
        optimizer.step()
        points.append(p.detach().clone())
    return torch.stack(points)


def all_paths(name, steps=150):
    """Every optimizer's path on one function; Adam gets its own, larger learning rate."""
    function, start, sgd_lr, adam_lr = SETTINGS[name]
    return {label: path(function, start, make, adam_lr if label.startswith("Adam") else sgd_lr, steps)
            for label, make in OPTIMIZERS.items()}
# --8<-- [end:paths]


if __name__ == "__main__":
    minima = {"quadratic": torch.tensor([0.0, 0.0], dtype=torch.float64),
              "valley": torch.tensor([1.0, 1.0], dtype=torch.float64)}
    for name in SETTINGS:
        for label, points in all_paths(name).items():
            dist = (points - minima[name]).norm(dim=1)
            print(f"{name:9s} {label:13s} distance to the minimum after 50 / 150 steps: "
                  f"{dist[50]:.4f} / {dist[150]:.4f}")
