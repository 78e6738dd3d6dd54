"""Minibatch gradient norms against batch size; how often a fixed threshold clips them."""

import matplotlib.pyplot as plt
import torch

from clip_batch_noise import example_grads, minibatch_norms, predicted_rms_norm

torch.set_num_threads(1)  # a tiny model: more threads only add overhead
G = example_grads()
sizes = [2, 4, 8, 16, 32, 64, 128, 256, 512]
# a threshold tuned at batch size 8, where it clips 10% of the steps
c = minibatch_norms(G, 8, draws=500).quantile(0.9).item()
mean_norms = [minibatch_norms(G, b, draws=500) for b in sizes]
# a summed loss has B times the gradient of the mean loss
sum_norms = [b * n for b, n in zip(sizes, mean_norms)]

fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 4.2))
left.fill_between(
    sizes,
    [n.quantile(0.05).item() for n in mean_norms],
    [n.quantile(0.95).item() for n in mean_norms],
    color="tab:blue",
    alpha=0.2,
    label="5-95% of minibatch norms",
)
left.plot(
    sizes,
    [n.median().item() for n in mean_norms],
    "o-",
    color="tab:blue",
    label="median",
)
left.plot(
    sizes,
    [predicted_rms_norm(G, b) for b in sizes],
    "k--",
    lw=1,
    label="$\\sqrt{\\|\\bar g\\|^2 + \\mathrm{tr}\\,\\Sigma / B}$",
)
left.axhline(
    G.mean(0).norm().item(), color="0.5", ls=":", label="full-data gradient norm"
)
left.axhline(c, color="tab:red", lw=1, label="threshold c (p90 at B = 8)")
left.set_title("Mean-reduced loss: norm and its noise shrink")
left.set_ylabel("gradient L2 norm")
left.legend(fontsize=8)
right.plot(
    sizes,
    [(n > c).float().mean().item() for n in mean_norms],
    "o-",
    color="tab:blue",
    label="loss = mean over batch",
)
right.plot(
    sizes,
    [(n > c).float().mean().item() for n in sum_norms],
    "s-",
    color="tab:orange",
    label="loss = sum over batch",
)
right.set_title("Fraction of steps clipped at fixed c")
right.set_ylabel("fraction clipped")
right.legend(fontsize=8)
for ax in (left, right):
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size B")
    ax.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()
