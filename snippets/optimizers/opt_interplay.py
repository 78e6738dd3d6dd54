"""How the optimizers meet clipping, warmup and the learning-rate scale."""
# --8<-- [start:imports]
import torch
# --8<-- [end:imports]


# --8<-- [start:clip]
def clipped_momentum_steps(lr=0.1, momentum=0.9, max_norm=1.0, steps=100, same_direction=False):
    """Lengths of momentum-SGD steps when every gradient is huge and clipped to max_norm."""
    gen = torch.Generator().manual_seed(0)
    p = torch.zeros(10, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=momentum)
    direction = torch.randn(10, generator=gen)
    lengths = []
    for _ in range(steps):
        p.grad = 1e3 * (direction if same_direction else torch.randn(10, generator=gen))
        torch.nn.utils.clip_grad_norm_([p], max_norm)
        before = p.detach().clone()
        optimizer.step()
        lengths.append((p.detach() - before).norm().item())
    return lengths


bound = 0.1 * 1.0 / (1 - 0.9)  # lr * c / (1 - momentum)
print(f"bound {bound:.2f}; longest step, random directions {max(clipped_momentum_steps()):.3f},"
      f" one direction {max(clipped_momentum_steps(same_direction=True)):.3f}")
# --8<-- [end:clip]


# --8<-- [start:first-steps]
def adam_step_sizes(grad_scale, lr=1e-3, steps=200, noise=1.0):
    """Mean |update| per coordinate at each Adam step, for gradients mean 0.1 plus noise, times grad_scale."""
    gen = torch.Generator().manual_seed(0)
    p = torch.zeros(1000, requires_grad=True)
    optimizer = torch.optim.Adam([p], lr=lr)
    sizes = []
    for _ in range(steps):
        p.grad = grad_scale * (0.1 + noise * torch.randn(1000, generator=gen))
        before = p.detach().clone()
        optimizer.step()
        sizes.append((p.detach() - before).abs().mean().item())
    return sizes


sizes = adam_step_sizes(1.0)
print(f"Adam, lr 1e-3: mean |step| per coordinate at step 1: {sizes[0]:.2e}, step 10: {sizes[9]:.2e},"
      f" step 200: {sizes[-1]:.2e}")
print(f"the same with gradients 1000 times larger, step 200: {adam_step_sizes(1000.0)[-1]:.2e}")
# --8<-- [end:first-steps]
