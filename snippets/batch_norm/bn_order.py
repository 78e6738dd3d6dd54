"""BN before or after the ReLU: what the BN layer sees, what the next layer sees, and accuracy."""
# --8<-- [start:imports]
import torch
from torch import nn

from norm_compare import accuracy, digits_split  # the data and evaluation shown above
# --8<-- [end:imports]


# --8<-- [start:model]
def block(n_in, n_out, order):
    """Linear -> BN -> ReLU ("bn-relu", the original paper's order) or Linear -> ReLU -> BN."""
    if order == "bn-relu":
        return [nn.Linear(n_in, n_out, bias=False), nn.BatchNorm1d(n_out), nn.ReLU()]
    # the bias is no longer cancelled by BN: it shifts the ReLU's threshold, so keep it
    return [nn.Linear(n_in, n_out), nn.ReLU(), nn.BatchNorm1d(n_out)]


def ordered_mlp(order, width=64):
    return nn.Sequential(*block(64, width, order), *block(width, width, order), nn.Linear(width, 10))
# --8<-- [end:model]


# --8<-- [start:inputs]
def first_block_signals(model, x):
    """Inputs of the first BN and of the second Linear layer (what the next layer sees)."""
    seen = {}
    first_bn = next(m for m in model if isinstance(m, nn.BatchNorm1d))
    second_linear = [m for m in model if isinstance(m, nn.Linear)][1]
    hooks = [first_bn.register_forward_hook(lambda m, i, o: seen.update(bn_input=i[0])),
             second_linear.register_forward_hook(lambda m, i, o: seen.update(next_input=i[0]))]
    with torch.no_grad():
        model(x)  # training mode: BN normalises with this batch's statistics
    for hook in hooks:
        hook.remove()
    return seen["bn_input"], seen["next_input"]


def describe(t):
    """Fraction of exact zeros, smallest value, mean and skewness, pooled over all features."""
    z = (t - t.mean(0)) / t.std(0, correction=0).clamp_min(1e-12)  # standardise per feature
    return {"zeros": (t == 0).float().mean().item(), "min": t.min().item(),
            "mean": t.mean().item(), "skew": (z**3).mean().item()}
# --8<-- [end:inputs]


# --8<-- [start:train]
def train_ordered(order, epochs=2, batch_size=32, lr=0.02, seed=0, data=None):
    """The training loop of norm_compare.train_mlp, for either order."""
    x_train, y_train, _, _ = data if data is not None else digits_split()
    torch.manual_seed(seed)
    model = ordered_mlp(order)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order_ = torch.randperm(len(x_train), generator=g)
        for i in range(0, len(order_) - batch_size + 1, batch_size):
            idx = order_[i:i + batch_size]
            loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model
# --8<-- [end:train]


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
    # --8<-- [start:demo]
    data = digits_split()
    for order in ("bn-relu", "relu-bn"):
        torch.manual_seed(0)
        bn_input, next_input = first_block_signals(ordered_mlp(order).train(), data[0])
        print(f"{order}: BN sees", {k: round(v, 2) for k, v in describe(bn_input).items()},
              "| next layer sees", {k: round(v, 2) for k, v in describe(next_input).items()})
    for order in ("bn-relu", "relu-bn"):
        accs = [accuracy(train_ordered(order, seed=s, data=data), data[2], data[3]) for s in (0, 1)]
        print(f"{order}: test accuracy after 2 epochs, seeds 0 and 1: {accs[0]:.3f}, {accs[1]:.3f}")
    # --8<-- [end:demo]
