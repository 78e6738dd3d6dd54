"""How the minibatch gradient norm depends on batch size, from per-example gradients."""

# --8<-- [start:imports]
import torch
from torch.func import functional_call, grad, vmap

from clip_train import make_mlp, make_regression

# --8<-- [end:imports]

# --8<-- [start:per_example]
def per_example_grads(model, x, y):
    """The flattened gradient of each example's squared error: (n_examples, n_params)."""
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_one(p, xi, yi):
        return (functional_call(model, p, (xi[None],)) - yi[None]).pow(2).mean()

    g = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    return torch.cat([g[k].flatten(1) for k in params], dim=1)


def minibatch_norms(G, batch_size, draws=1000, reduction="mean", seed=0):
    """Norms of `draws` minibatch gradients from rows of G (drawn with replacement)."""
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, G.shape[0], (draws, batch_size), generator=gen)
    # how often each example is in each batch; a matmul then sums each batch's rows
    counts = torch.zeros(draws, G.shape[0]).scatter_add_(
        1, idx, torch.ones(draws, batch_size)
    )
    g = counts @ G  # (draws, n_params)
    if reduction == "mean":
        g = g / batch_size
    return g.norm(dim=1)


def predicted_rms_norm(G, batch_size):
    """sqrt(E||g_B||^2) = sqrt(||mean grad||^2 + trace(Cov)/B), mean-reduced loss."""
    mean = G.mean(0)
    # trace of the population covariance (batches are drawn with replacement)
    trace_cov = (G - mean).pow(2).sum(1).mean()
    return (mean.pow(2).sum() + trace_cov / batch_size).sqrt().item()


# --8<-- [end:per_example]


def example_grads(n=512, seed=0):
    """Per-example gradients of the chapter's MLP at initialization, on its data."""
    torch.manual_seed(seed)
    x, y = make_regression(n=n, seed=seed)
    return per_example_grads(make_mlp(), x, y)


if __name__ == "__main__":
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    G = example_grads()
    print(
        f"per-example gradients: {tuple(G.shape)}; "
        f"norm of the full-data gradient {G.mean(0).norm():.3f}"
    )
    c = minibatch_norms(G, 8).quantile(0.9).item()  # p90 of the norms at batch size 8
    print(f"threshold c = p90 of batch-8 norms = {c:.3f}")
    for b in (8, 32, 128, 512):
        mean_n, sum_n = minibatch_norms(G, b), minibatch_norms(G, b, reduction="sum")
        print(
            f"B={b:4d}: mean-loss norm {mean_n.mean():.3f} +- {mean_n.std():.3f} "
            f"(predicted rms {predicted_rms_norm(G, b):.3f}), "
            f"clipped {(mean_n > c).float().mean():.1%}; "
            f"sum-loss norm {sum_n.mean():.1f}, "
            f"clipped {(sum_n > c).float().mean():.1%}"
        )
