"""Exercise: measure which clipping keeps the direction of a gradient, over many gradients."""
import torch


def cosines_after_clipping(draws=1000, dim=50, clip=1.0, seed=0):
    """Cosines between heavy-tailed random gradients and their clipped versions."""
    gen = torch.Generator().manual_seed(seed)
    by_norm, by_value = [], []
    for _ in range(draws):
        g = torch.randn(dim, generator=gen, dtype=torch.float64) ** 3  # a few large entries
        for clip_fn, out in (
            (torch.nn.utils.clip_grad_norm_, by_norm),
            (torch.nn.utils.clip_grad_value_, by_value),
        ):
            p = torch.nn.Parameter(torch.zeros(dim, dtype=torch.float64))
            p.grad = g.clone()
            clip_fn([p], clip)
            out.append(torch.nn.functional.cosine_similarity(g, p.grad, dim=0).item())
    return torch.tensor(by_norm), torch.tensor(by_value)


by_norm, by_value = cosines_after_clipping()
print(f"clip_grad_norm_:  cosine min {by_norm.min():.12f}, max {by_norm.max():.12f}")
print(f"clip_grad_value_: cosine min {by_value.min():.3f}, median {by_value.median():.3f}")
