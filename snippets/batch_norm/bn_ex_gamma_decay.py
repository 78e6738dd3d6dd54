"""Exercise: what weight decay does to the gamma and beta of a BN that another BN follows."""
import torch
from torch import nn


def loss_and_grads(c, layer=1, seed=0):
    """Training-mode Linear-BN-ReLU-Linear-BN-Linear with gamma and beta of the BN at index `layer`
    (1: the first BN, 4: the second) times c; return the loss, that BN's gradients and parameters."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(),
                          nn.Linear(32, 32), nn.BatchNorm1d(32), nn.Linear(32, 3)).double()
    with torch.no_grad():
        for bn in (model[1], model[4]):
            bn.weight.uniform_(0.5, 1.5), bn.bias.normal_()
        model[layer].weight.mul_(c), model[layer].bias.mul_(c)
    x, y = torch.randn(64, 10, dtype=torch.float64), torch.randint(0, 3, (64,))
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    bn = model[layer]
    return loss.item(), torch.cat([bn.weight.grad, bn.bias.grad]), torch.cat([bn.weight, bn.bias]).detach()


loss_1, grad, theta = loss_and_grads(1.0)
loss_half, grad_half, _ = loss_and_grads(0.5)
print(f"first BN: loss {loss_1:.6f}, with gamma / 2, beta / 2: {loss_half:.6f}")
print(f"first BN: |gradient| at half the scale / at full scale: {grad_half.norm() / grad.norm():.4f}")
print(f"first BN: cosine between the gradient and (gamma, beta): {grad @ theta / (grad.norm() * theta.norm()):.1e}")
print(f"second BN, followed by no BN: loss {loss_and_grads(1.0, layer=4)[0]:.4f},",
      f"with gamma / 2, beta / 2: {loss_and_grads(0.5, layer=4)[0]:.4f}")
