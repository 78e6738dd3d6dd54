"""Paths of SGD, momentum, Nesterov and Adam on an ill-conditioned bowl and a curved valley."""
import matplotlib.pyplot as plt
import torch

from opt_paths import SETTINGS, all_paths

titles = {"quadratic": "Ill-conditioned quadratic", "valley": "Rosenbrock-like valley"}
minima = {"quadratic": (0.0, 0.0), "valley": (1.0, 1.0)}
boxes = {"quadratic": ((-4.5, 1.0), (-1.5, 1.5)), "valley": ((-1.5, 1.5), (-0.5, 2.5))}

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for ax, name in zip(axes, SETTINGS):
    function = SETTINGS[name][0]
    (x0, x1), (y0, y1) = boxes[name]
    xs, ys = torch.meshgrid(torch.linspace(x0, x1, 200), torch.linspace(y0, y1, 200), indexing="xy")
    ax.contour(xs, ys, torch.log1p(function(torch.stack([xs, ys]))), levels=20, colors="0.8", linewidths=0.7)
    for label, points in all_paths(name).items():
        ax.plot(points[:, 0], points[:, 1], marker=".", markersize=3, linewidth=1, label=label)
    ax.plot(*minima[name], marker="*", markersize=14, color="black", linestyle="none", label="Minimum")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title(f"{titles[name]}: 150 steps")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
axes[0].legend(loc="lower right")
plt.show()
