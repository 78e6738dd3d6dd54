"""Folding an eval-mode BN into the convolution before it, by hand and with PyTorch's fusion."""
# --8<-- [start:imports]
import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
# --8<-- [end:imports]


# --8<-- [start:fold]
def fold_bn_into_conv(conv, bn):
    """A new conv equal to bn(conv(x)) with bn in eval mode (its running statistics):
    W' = W * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta."""
    with torch.no_grad():
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # one factor per output channel
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        fused = copy.deepcopy(conv)
        fused.weight.copy_(conv.weight * scale.view(-1, *[1] * (conv.weight.dim() - 1)))
        fused.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias)
    return fused
# --8<-- [end:fold]


# --8<-- [start:fuse-model]
def fuse_conv_bn_pairs(model):
    """Eval-mode copy of `model` where every Conv2d followed by a BatchNorm2d in an nn.Sequential
    becomes one conv (PyTorch's fuse_conv_bn_eval) and the BN an nn.Identity."""
    model = copy.deepcopy(model).eval()  # fusion is only valid, and only allowed, in eval mode
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            if isinstance(seq[i], nn.Conv2d) and isinstance(seq[i + 1], nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(seq[i], seq[i + 1])
                seq[i + 1] = nn.Identity()
    return model
# --8<-- [end:fuse-model]


# --8<-- [start:example]
def conv_bn_example(seed=0, dtype=torch.float32):
    """A conv (with bias) and a BN whose running statistics and gamma, beta are not trivial."""
    torch.manual_seed(seed)
    conv = nn.Conv2d(3, 8, 3, padding=1).to(dtype)
    bn = nn.BatchNorm2d(8).to(dtype)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.normal_()
        for _ in range(20):  # training-mode forwards fill running_mean and running_var
            bn(conv(2.0 * torch.randn(16, 3, 8, 8, dtype=dtype) + 1.0))
    return conv.eval(), bn.eval()
# --8<-- [end:example]


if __name__ == "__main__":
    # --8<-- [start:compare]
    conv, bn = conv_bn_example()
    x = 2.0 * torch.randn(4, 3, 8, 8) + 1.0
    with torch.no_grad():
        reference = bn(conv(x))  # eval mode: the running statistics
        by_hand = fold_bn_into_conv(conv, bn)(x)
        by_torch = fuse_conv_bn_eval(conv, bn)(x)
    print(f"by hand vs conv+BN: {(by_hand - reference).abs().max():.1e}, "
          f"fuse_conv_bn_eval vs conv+BN: {(by_torch - reference).abs().max():.1e}")
    # --8<-- [end:compare]

    # --8<-- [start:train-mode]
    with torch.no_grad():
        folded = fold_bn_into_conv(conv, bn)(x)  # uses the running statistics
        bn.train()
        batch_stats = bn(conv(x))  # training mode normalises with this batch's statistics
    print(f"fold vs training-mode conv+BN: {(folded - batch_stats).abs().max():.2f}")
    try:
        fuse_conv_bn_eval(conv, bn)
    except AssertionError as err:
        print("fuse_conv_bn_eval with BN in training mode:", f"{type(err).__name__}: {err}")
    # --8<-- [end:train-mode]

    # --8<-- [start:fuse-demo]
    from bn_practice import small_cnn  # conv -> BN -> ReLU blocks

    torch.manual_seed(0)
    model = small_cnn()
    with torch.no_grad():
        model(torch.randn(64, 1, 8, 8) + 0.5)  # a training-mode forward moves the running stats
    model.eval()
    fused = fuse_conv_bn_pairs(model)
    images = torch.randn(5, 1, 8, 8)
    with torch.no_grad():
        gap = (fused(images) - model(images)).abs().max().item()
    left = sum(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    print(f"fused model vs model: {gap:.1e}, BatchNorm2d layers left: {left}")
    # --8<-- [end:fuse-demo]
