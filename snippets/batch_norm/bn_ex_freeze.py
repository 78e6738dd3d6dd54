"""Exercise: three ways to "freeze" BN while fine-tuning; only one keeps the running statistics fixed."""
import torch
from torch import nn

from bn_practice import BN_TYPES, freeze_bn, small_cnn


def grad_off_only(model):
    """Stop gradients to gamma and beta, but leave the BN layers in training mode."""
    for module in model.modules():
        if isinstance(module, BN_TYPES):
            module.weight.requires_grad_(False)
            module.bias.requires_grad_(False)


def finetune(prepare, steps=5):
    """Fine-tune a fresh small CNN for a few steps after `prepare(model)`; return how far the
    first BN's running_mean and gamma moved, and the first conv's weight."""
    torch.manual_seed(0)
    model = small_cnn()
    prepare(model)
    conv, bn = model[0][0], model[0][1]
    before = [t.detach().clone() for t in (bn.running_mean, bn.weight, conv.weight)]
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)
    for _ in range(steps):
        x, y = torch.randn(16, 1, 8, 8) + 0.5, torch.randint(0, 10, (16,))
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = (bn.running_mean, bn.weight, conv.weight)
    return [(a - b).abs().max().item() for a, b in zip(after, before)]


ways = {"requires_grad_(False) on gamma, beta": lambda m: (m.train(), grad_off_only(m)),
        "freeze_bn(model), then model.train()": lambda m: (freeze_bn(m), m.train()),
        "model.train(), then freeze_bn(model)": lambda m: (m.train(), freeze_bn(m))}
for name, prepare in ways.items():
    mean_moved, gamma_moved, conv_moved = finetune(prepare)
    print(f"{name:38s} running_mean moved {mean_moved:.3f}, gamma {gamma_moved:.3f}, conv weight {conv_moved:.3f}")
