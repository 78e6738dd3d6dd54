"""Batch normalization from scratch: the forward pass and PyTorch's running-statistics update."""
# --8<-- [start:imports]
import torch
from torch import nn
# --8<-- [end:imports]


# --8<-- [start:forward]
def batch_norm_train(x, gamma, beta, eps=1e-5):
    """Training-mode BN of x with shape (N, C) or (N, C, H, W, ...): statistics per channel."""
    dims = [0] + list(range(2, x.dim()))  # every axis except the channel axis 1
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, correction=0, keepdim=True)  # biased: divides by m
    x_hat = (x - mean) / torch.sqrt(var + eps)
    shape = [1, -1] + [1] * (x.dim() - 2)  # broadcast gamma, beta over N and H, W
    y = gamma.view(shape) * x_hat + beta.view(shape)
    m = x.numel() // x.shape[1]  # values per channel: N (1d) or N*H*W (2d)
    return y, mean.flatten(), var.flatten(), m
# --8<-- [end:forward]


# --8<-- [start:running]
def update_running_stats(running_mean, running_var, batch_mean, batch_var, m,
                         momentum=0.1, num_batches_tracked=1):
    """Update the buffers in place the way nn.BatchNorm does in training mode."""
    if momentum is None:
        factor = 1.0 / num_batches_tracked  # cumulative average over all batches so far
    else:
        factor = momentum  # weight of the NEW batch, not of the history
    unbiased_var = batch_var * m / (m - 1)  # the buffer stores the unbiased estimate
    running_mean.mul_(1 - factor).add_(factor * batch_mean)
    running_var.mul_(1 - factor).add_(factor * unbiased_var)
# --8<-- [end:running]


# --8<-- [start:module]
class ScratchBatchNorm(nn.Module):
    """Drop-in stand-in for nn.BatchNorm1d / nn.BatchNorm2d (affine, tracking running stats)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))  # gamma
        self.bias = nn.Parameter(torch.zeros(num_features))  # beta
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x):
        if self.training:
            if x.numel() // x.shape[1] == 1:  # one value per channel: its variance is 0
                raise ValueError("Expected more than 1 value per channel when training")
            y, mean, var, m = batch_norm_train(x, self.weight, self.bias, self.eps)
            self.num_batches_tracked += 1
            with torch.no_grad():
                update_running_stats(self.running_mean, self.running_var, mean, var, m,
                                     self.momentum, int(self.num_batches_tracked))
            return y
        # evaluation: a fixed affine map built from the running estimates
        shape = [1, -1] + [1] * (x.dim() - 2)
        mean, var = self.running_mean.view(shape), self.running_var.view(shape)
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight.view(shape) * x_hat + self.bias.view(shape)
# --8<-- [end:module]


if __name__ == "__main__":
    torch.manual_seed(0)
    for ours, theirs, shape in [(ScratchBatchNorm(4), nn.BatchNorm1d(4), (16, 4)),
                                (ScratchBatchNorm(3), nn.BatchNorm2d(3), (8, 3, 5, 5))]:
        with torch.no_grad():  # same random gamma, beta in both layers
            ours.weight.uniform_(0.5, 1.5), ours.bias.normal_()
            theirs.weight.copy_(ours.weight), theirs.bias.copy_(ours.bias)
        for step in range(5):
            x = 2.0 * torch.randn(shape) + 1.0
            out_diff = (ours(x) - theirs(x)).abs().max().item()
        ours.eval(), theirs.eval()
        x = torch.randn(shape)
        print(f"{type(theirs).__name__}: train output diff {out_diff:.1e}, "
              f"running_mean diff {(ours.running_mean - theirs.running_mean).abs().max():.1e}, "
              f"running_var diff {(ours.running_var - theirs.running_var).abs().max():.1e}, "
              f"eval output diff {(ours(x) - theirs(x)).abs().max():.1e}")
