"""BN in practice: conv-BN-ReLU block, no weight decay on BN parameters, frozen BN when fine-tuning."""
# --8<-- [start:imports]
import torch
from torch import nn
# --8<-- [end:imports]


# --8<-- [start:block]
def conv_bn_relu(in_channels, out_channels, stride=1):
    """3x3 conv -> BN -> ReLU. The conv has no bias: BN subtracts the per-channel mean,
    which removes any constant bias, and BN's beta is the learned offset instead."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )
# --8<-- [end:block]


# --8<-- [start:param-groups]
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm,
              nn.GroupNorm, nn.LayerNorm)


def param_groups(model, weight_decay):
    """Two optimizer groups: conv/linear weights decay; norm gamma/beta and biases do not."""
    decay, no_decay = [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            if isinstance(module, NORM_TYPES) or name == "bias":
                no_decay.append(param)
            else:
                decay.append(param)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]
# --8<-- [end:param-groups]


# --8<-- [start:freeze]
BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def freeze_bn(model, freeze_affine=True):
    """Put every BN layer in eval mode (use, never update, the running stats); optionally
    freeze gamma and beta too.

    model.train() switches BN back to training mode: call this again after every model.train().
    """
    for module in model.modules():
        if isinstance(module, BN_TYPES):
            module.eval()
            if freeze_affine:
                module.weight.requires_grad_(False)
                module.bias.requires_grad_(False)
    return model
# --8<-- [end:freeze]


# --8<-- [start:small-cnn]
def small_cnn(num_classes=10):
    """A tiny CNN for 8x8 single-channel images made of the block above."""
    return nn.Sequential(conv_bn_relu(1, 16), conv_bn_relu(16, 32, stride=2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, num_classes))
# --8<-- [end:small-cnn]


if __name__ == "__main__":
    # --8<-- [start:model]
    torch.manual_seed(0)
    model = small_cnn()
    # --8<-- [end:model]
    groups = param_groups(model, weight_decay=5e-4)
    print(f"decay: {len(groups[0]['params'])} tensors,",
          f"no decay: {len(groups[1]['params'])} tensors")

    # --8<-- [start:finetune]
    model.train()
    freeze_bn(model)  # after model.train(), which would undo it
    optimizer = torch.optim.SGD(param_groups(model, weight_decay=5e-4), lr=0.01, momentum=0.9)
    bn = model[0][1]
    before = bn.running_mean.clone()
    for _ in range(3):
        x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 10, (16,))
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # --8<-- [end:finetune]
    print("running_mean unchanged:", torch.equal(before, bn.running_mean),
          "| gamma trainable:", bn.weight.requires_grad)
