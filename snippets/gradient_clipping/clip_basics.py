"""Clipping by norm and by value written out by hand, checked against torch.nn.utils."""

# --8<-- [start:imports]
import torch

# --8<-- [end:imports]

# --8<-- [start:norm]
def clip_by_total_norm(grads, max_norm, eps=1e-6):
    """Scale all gradients by one factor so their joint L2 norm is at most max_norm.

    Returns the total norm measured BEFORE clipping, like clip_grad_norm_.
    """
    total_norm = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(g) for g in grads])
    )
    # eps: finite for a zero gradient; the clamp means "never scale up"
    scale = torch.clamp(max_norm / (total_norm + eps), max=1.0)
    for g in grads:
        g.mul_(scale)
    return total_norm


# --8<-- [end:norm]


# --8<-- [start:value]
def clip_by_value(grads, clip_value):
    """Clamp each gradient entry to [-clip_value, clip_value], like clip_grad_value_."""
    for g in grads:
        g.clamp_(-clip_value, clip_value)


# --8<-- [end:value]


def cosine(a, b):
    """Cosine of the angle between two flattened tensors."""
    return float(torch.dot(a.flatten(), b.flatten()) / (a.norm() * b.norm()))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)
    )
    # a large loss, so the gradient norm is well above the threshold
    loss = model(torch.randn(16, 4)).pow(2).sum() * 10
    loss.backward()
    params = list(model.parameters())
    ours = [p.grad.clone() for p in params]
    before = torch.cat([g.flatten() for g in ours])

    norm_ours = clip_by_total_norm(ours, max_norm=1.0)
    norm_torch = torch.nn.utils.clip_grad_norm_(params, max_norm=1.0)
    after = torch.cat([p.grad.flatten() for p in params])
    gap = max((a - p.grad).abs().max().item() for a, p in zip(ours, params))
    print(f"total norm before clipping: ours {norm_ours:.4f}, torch {norm_torch:.4f}")
    print(f"norm after clipping: {after.norm():.6f} (threshold 1.0)")
    print(f"max |ours - torch| = {gap:.2e}")
    print(f"cosine(before, after norm clipping) = {cosine(before, after):.6f}")

    by_value = before.clone()
    clip_by_value([by_value], clip_value=0.5)
    print(f"cosine(before, after value clipping, c=0.5) = {cosine(before, by_value):.6f}")
