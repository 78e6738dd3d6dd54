"""Exercise: which variance does nn.BatchNorm1d normalise with, and which does it store?"""
import torch
from torch import nn

from bn_scratch import batch_norm_train

torch.manual_seed(0)
m = 4  # a small batch makes m / (m - 1) = 4/3 easy to see
x = 3.0 * torch.randn(m, 5, dtype=torch.float64) + 1.0
bn = nn.BatchNorm1d(5, momentum=1.0).double()  # momentum 1: the buffer becomes this batch's value
y = bn(x)
ones, zeros = torch.ones(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64)
biased = x.var(dim=0, correction=0)  # divides by m
unbiased = x.var(dim=0, correction=1)  # divides by m - 1

ratio = bn.running_var / biased
print("running_var / biased variance:", [round(r, 4) for r in ratio.tolist()], f"(m / (m - 1) = {m / (m - 1):.4f})")
print(f"running_var vs unbiased variance: {(bn.running_var - unbiased).abs().max():.1e}")
with_biased = batch_norm_train(x, ones, zeros, eps=bn.eps)[0]  # the forward of this chapter
with_unbiased = (x - x.mean(0)) / torch.sqrt(unbiased + bn.eps)
print(f"output vs normalising with the biased variance: {(y - with_biased).abs().max():.1e}")
shrink = with_unbiased / y  # the same factor for every value
print(f"normalising with the unbiased variance would scale the output by {shrink.min():.4f} to {shrink.max():.4f}",
      f"(sqrt((m - 1) / m) = {((m - 1) / m) ** 0.5:.4f})")
