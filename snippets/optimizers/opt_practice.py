"""Optimizer practice: parameter groups, zero_grad, foreach, and saving the optimizer state."""
# --8<-- [start:imports]
import torch
from torch import nn
# --8<-- [end:imports]


# --8<-- [start:groups]
def make_model():
    """A small backbone (linear, BN, ReLU) and a linear head."""
    torch.manual_seed(0)
    return nn.ModuleDict({
        "backbone": nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU()),
        "head": nn.Linear(16, 3),
    })


def param_groups(model, lr_backbone=1e-4, lr_head=1e-3, weight_decay=0.05):
    """Four groups: backbone and head, each split into weights (decayed) and norms/biases (not)."""
    groups = []
    for part, lr in (("backbone", lr_backbone), ("head", lr_head)):
        params = list(model[part].parameters())
        groups.append({"params": [p for p in params if p.ndim > 1], "lr": lr, "weight_decay": weight_decay})
        groups.append({"params": [p for p in params if p.ndim <= 1], "lr": lr, "weight_decay": 0.0})
    return groups


model = make_model()
optimizer = torch.optim.AdamW(param_groups(model))
for group in optimizer.param_groups:
    print(f"lr={group['lr']:g} weight_decay={group['weight_decay']:g} shapes:",
          [tuple(p.shape) for p in group["params"]])
# --8<-- [end:groups]


# --8<-- [start:train]
def train(model, optimizer, steps, seed=1):
    """A few steps of classification on random data; returns the losses."""
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x, y = torch.randn(32, 8, generator=gen), torch.randint(0, 3, (32,), generator=gen)
        loss = nn.functional.cross_entropy(model["head"](model["backbone"](x)), y)
        optimizer.zero_grad()  # set_to_none=True by default: .grad becomes None, not zeros
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
# --8<-- [end:train]


# --8<-- [start:resume]
def interrupted_run(steps_before=5, steps_after=5):
    """Train, save model and optimizer state, load both into fresh objects, train on."""
    model = make_model()
    optimizer = torch.optim.AdamW(param_groups(model))
    train(model, optimizer, steps_before)
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    model = make_model()  # a new process builds everything again ...
    optimizer = torch.optim.AdamW(param_groups(model))
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])  # ... with the moments and step counts
    return train(model, optimizer, steps_after, seed=2), model
# --8<-- [end:resume]


if __name__ == "__main__":
    resumed, _ = interrupted_run()
    model = make_model()
    optimizer = torch.optim.AdamW(param_groups(model))
    train(model, optimizer, 5)
    print("resumed run equals the uninterrupted one:", resumed == train(model, optimizer, 5, seed=2))
