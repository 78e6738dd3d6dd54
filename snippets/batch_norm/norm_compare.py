"""BatchNorm vs GroupNorm vs LayerNorm: a small MLP on scikit-learn's digits, batch sizes 2 to 32."""
# --8<-- [start:imports]
import torch
from sklearn.datasets import load_digits
from torch import nn
# --8<-- [end:imports]


# --8<-- [start:data]
def digits_split(n_train=1000, seed=0):
    """8x8 digit images as 64 standardised features; a fixed train/test split (no download)."""
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32)
    y = torch.tensor(digits.target)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    x, y = x[order], y[order]
    mu, sd = x[:n_train].mean(0), x[:n_train].std(0) + 1e-3  # train statistics only
    x = (x - mu) / sd
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]
# --8<-- [end:data]


# --8<-- [start:model]
def make_norm(kind, width):
    if kind == "batch":
        return nn.BatchNorm1d(width)  # statistics over the batch, per feature
    if kind == "group":
        return nn.GroupNorm(8, width)  # statistics per sample, over groups of 8 features
    if kind == "layer":
        return nn.LayerNorm(width)  # statistics per sample, over all features
    raise ValueError(kind)


def make_mlp(kind, width=64):
    # no bias before a norm layer: the norm's beta takes that role
    return nn.Sequential(
        nn.Linear(64, width, bias=False), make_norm(kind, width), nn.ReLU(),
        nn.Linear(width, width, bias=False), make_norm(kind, width), nn.ReLU(),
        nn.Linear(width, 10),
    )
# --8<-- [end:model]


# --8<-- [start:train]
def accuracy(model, x, y):
    model.eval()  # BN: use the running statistics, not the test batch's
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def train_mlp(kind, batch_size, epochs=1, lr=0.02, seed=0, data=None):
    """Train for a fixed number of epochs (same data, same lr for every batch size)."""
    x_train, y_train, _, _ = data if data is not None else digits_split()
    torch.manual_seed(seed)
    model = make_mlp(kind)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=g)
        for i in range(0, len(order) - batch_size + 1, batch_size):  # drop the last partial batch
            idx = order[i:i + batch_size]
            loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def compare(batch_sizes=(2, 4, 32), kinds=("batch", "group", "layer"), seeds=(0,)):
    """Test accuracy, averaged over seeds, for every (norm kind, batch size)."""
    data = digits_split()
    x_test, y_test = data[2], data[3]
    return {(kind, bs): sum(accuracy(train_mlp(kind, bs, seed=s, data=data), x_test, y_test)
                            for s in seeds) / len(seeds)
            for kind in kinds for bs in batch_sizes}
# --8<-- [end:train]


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
    results = compare()
    for (kind, bs), acc in results.items():
        print(f"{kind:>5} norm, batch size {bs:2d}: test accuracy {acc:.3f}")
