"""Exercise: find the largest stable lr * L of Nesterov momentum on a 1-D quadratic, by bisection."""
import torch


def diverges(lr_times_curvature, momentum=0.9, steps=400):
    """Run PyTorch's Nesterov SGD on 0.5 * x ** 2 from x = 1; True unless |x| shrank below 1."""
    x = torch.ones(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=lr_times_curvature, momentum=momentum, nesterov=True)
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * x**2).sum().backward()
        optimizer.step()
    return not x.abs().item() < 1  # NaN and inf count as diverged


low, high = 0.5, 3.0
for _ in range(16):
    mid = (low + high) / 2
    low, high = (low, mid) if diverges(mid) else (mid, high)
print(f"measured limit {low:.4f}, formula 2(1 + mu) / (1 + 2 mu) = {2 * 1.9 / 2.8:.4f}")
