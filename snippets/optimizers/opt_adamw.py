"""Adam's L2 against AdamW's decoupled decay: a weight's decay, then a training run."""
# --8<-- [start:imports]
import torch
# --8<-- [end:imports]


# --8<-- [start:decay]
def mean_weight_after(optimizer_cls, grad_scale, weight_decay=0.1, lr=1e-3, steps=500, n=1000):
    """Mean of n weights that start at 1 and get zero-mean gradient noise of size grad_scale."""
    gen = torch.Generator().manual_seed(0)
    w = torch.ones(n, requires_grad=True)
    optimizer = optimizer_cls([w], lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        w.grad = grad_scale * torch.randn(n, generator=gen)  # noise alone does not shrink w
        optimizer.step()
    return w.mean().item()


if __name__ == "__main__":
    print("AdamW decays by (1 - lr * wd) ** 500 =", round((1 - 1e-3 * 0.1) ** 500, 4))
    for scale in (0.0, 1.0, 100.0):
        adamw = mean_weight_after(torch.optim.AdamW, scale)
        adam = mean_weight_after(torch.optim.Adam, scale)
        no_decay = mean_weight_after(torch.optim.Adam, scale, weight_decay=0.0)
        print(f"gradient size {scale:5}: AdamW {adamw:.4f}   Adam+L2 {adam:.4f}   no decay {no_decay:.4f}")
    print("Adam+L2, no gradient, wd = 0.01:", round(mean_weight_after(torch.optim.Adam, 0.0, 0.01), 4))
# --8<-- [end:decay]


# --8<-- [start:train]
def fit(optimizer_cls, weight_decay, seed=0, lr=1e-2, steps=1000, n=30, d=40):
    """Linear regression with more features than samples; returns (test loss, weight norm)."""
    gen = torch.Generator().manual_seed(seed)
    scale = torch.logspace(-1, 1, d)  # features from 0.1 to 10 in size, all relevant
    w_true = torch.randn(d, generator=gen) / scale
    x_train, x_test = torch.randn(n, d, generator=gen) * scale, torch.randn(1000, d, generator=gen) * scale
    y_train = x_train @ w_true + 0.5 * torch.randn(n, generator=gen)
    y_test = x_test @ w_true + 0.5 * torch.randn(1000, generator=gen)
    w = torch.zeros(d, requires_grad=True)
    optimizer = optimizer_cls([w], lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        optimizer.zero_grad()
        ((x_train @ w - y_train) ** 2).mean().backward()
        optimizer.step()
    with torch.no_grad():
        return ((x_test @ w - y_test) ** 2).mean().item(), w.norm().item()


if __name__ == "__main__":
    for wd in (0.0, 0.1):
        for cls in (torch.optim.Adam, torch.optim.AdamW):
            test_loss, norm = fit(cls, wd)
            print(f"{cls.__name__:5s} weight_decay={wd}: test loss {test_loss:.1f}, |w| = {norm:.1f}")
# --8<-- [end:train]
