"""Batch normalization backward pass by hand, checked against autograd in float64."""
import torch


# --8<-- [start:backward]
def batch_norm_backward(dy, x_hat, gamma, std):
    """Gradients of training-mode BN given dL/dy, the saved x_hat and std = sqrt(var_B + eps).

    Works for (N, C) and (N, C, H, W, ...) tensors; gamma and std have shape (C,).
    """
    dims = [0] + list(range(2, dy.dim()))  # sum over everything but the channel
    shape = [1, -1] + [1] * (dy.dim() - 2)
    m = dy.numel() // dy.shape[1]
    dbeta = dy.sum(dim=dims)  # sum of dy
    dgamma = (dy * x_hat).sum(dim=dims)  # sum of dy * x_hat
    # compact form: dx = gamma / (m * std) * (m * dy - sum(dy) - x_hat * sum(dy * x_hat))
    dx = (gamma / (m * std)).view(shape) * (m * dy - dbeta.view(shape) - x_hat * dgamma.view(shape))
    return dx, dgamma, dbeta
# --8<-- [end:backward]


# --8<-- [start:check]
def compare_with_autograd(shape=(8, 3), eps=1e-5, seed=0):
    """Largest absolute difference between the hand-derived and autograd gradients."""
    g = torch.Generator().manual_seed(seed)
    opts = dict(dtype=torch.float64, generator=g)
    x = (3.0 * torch.randn(shape, **opts) + 1.0).requires_grad_()
    gamma = torch.rand(shape[1], **opts).add_(0.5).requires_grad_()
    beta = torch.randn(shape[1], **opts).requires_grad_()
    dy = torch.randn(shape, **opts)  # an arbitrary upstream gradient dL/dy

    y = torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    y.backward(dy)  # autograd's dL/dx, dL/dgamma, dL/dbeta land in .grad

    dims = [0] + list(range(2, len(shape)))
    mean = x.detach().mean(dim=dims, keepdim=True)
    var = x.detach().var(dim=dims, correction=0, keepdim=True)
    std = torch.sqrt(var + eps)
    x_hat = (x.detach() - mean) / std
    dx, dgamma, dbeta = batch_norm_backward(dy, x_hat, gamma.detach(), std.flatten())
    return {"dx": (dx - x.grad).abs().max().item(),
            "dgamma": (dgamma - gamma.grad).abs().max().item(),
            "dbeta": (dbeta - beta.grad).abs().max().item()}
# --8<-- [end:check]


if __name__ == "__main__":
    for shape in [(8, 3), (4, 3, 5, 5)]:
        diffs = compare_with_autograd(shape)
        print(shape, {k: f"{v:.1e}" for k, v in diffs.items()})
