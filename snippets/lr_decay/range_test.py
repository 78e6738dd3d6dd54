"""A learning-rate range test (Smith) on a tiny model, feeding max_lr of OneCycleLR."""
# --8<-- [start:imports]
import math

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.optim.lr_scheduler import OneCycleLR
# --8<-- [end:imports]


# --8<-- [start:data]
def digits_data():
    """scikit-learn's 8x8 digits (bundled, no download), scaled to [0, 1]: 1,797 images, 10 classes."""
    x, y = load_digits(return_X_y=True)
    return torch.tensor(x / 16, dtype=torch.float32), torch.tensor(y)


def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def batches(x, y, batch_size, seed=0):
    """Endless shuffled mini-batches, the same sequence for the same seed."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x) - batch_size + 1, batch_size):
            yield x[order[i:i + batch_size]], y[order[i:i + batch_size]]
# --8<-- [end:data]


# --8<-- [start:range-test]
def lr_range_test(x, y, lr_min=1e-3, lr_max=100.0, steps=100, batch_size=64, smoothing=0.9):
    """Raise the rate exponentially from lr_min to lr_max, one batch per rate; stop when the loss blows up.

    Returns the rates tried and the smoothed training loss at each.
    """
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr_min, momentum=0.9)
    factor = (lr_max / lr_min) ** (1 / (steps - 1))
    lrs, losses, average = [], [], 0.0
    for step, (xb, yb) in zip(range(steps), batches(x, y, batch_size)):
        lr = lr_min * factor**step
        optimizer.param_groups[0]["lr"] = lr
        loss = nn.functional.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        average = smoothing * average + (1 - smoothing) * loss.item()
        smoothed = average / (1 - smoothing ** (step + 1))  # bias-corrected moving average
        lrs.append(lr)
        losses.append(smoothed)
        if not math.isfinite(smoothed) or smoothed > 4 * min(losses):
            break  # the loss blew up: larger rates tell nothing more
    return lrs, losses


def pick_max_lr(lrs, losses):
    """The rate where the smoothed loss falls fastest against log(lr): well before it blows up.

    The lowest loss is not a safe choice: the moving average lags, so by then the rate is already
    too large to train with.
    """
    slopes = [(losses[i + 1] - losses[i - 1]) / math.log(lrs[i + 1] / lrs[i - 1])
              for i in range(1, losses.index(min(losses)))]
    return lrs[1 + slopes.index(min(slopes))]


# --8<-- [end:range-test]


# --8<-- [start:train]
def train(x, y, make_scheduler, lr, steps=300, batch_size=64):
    """Train the tiny model for `steps` batches with a scheduler stepped per batch.

    Returns the rate, the training loss and the batch accuracy at every step, and the final
    accuracy on all the data.
    """
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = make_scheduler(optimizer, steps)
    run = {"lr": [], "loss": [], "accuracy": []}
    for _, (xb, yb) in zip(range(steps), batches(x, y, batch_size, seed=1)):
        run["lr"].append(optimizer.param_groups[0]["lr"])
        logits = model(xb)
        loss = nn.functional.cross_entropy(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        run["loss"].append(loss.item())
        run["accuracy"].append((logits.argmax(1) == yb).float().mean().item())
    with torch.no_grad():
        run["final_accuracy"] = (model(x).argmax(1) == y).float().mean().item()
    return run


def one_cycle(max_lr):
    """OneCycleLR with PyTorch's defaults: from max_lr/25 up to max_lr in 30% of the run, then down."""
    return lambda optimizer, steps: OneCycleLR(optimizer, max_lr=max_lr, total_steps=steps)
# --8<-- [end:train]


# --8<-- [start:one-cycle]
def one_cycle_lr(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    """OneCycleLR's rate in closed form (anneal_strategy='cos', two phases)."""
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    peak = pct_start * total_steps - 1  # the step where the rate is max_lr

    def cosine(start, end, fraction):
        return end + (start - end) / 2 * (1 + math.cos(math.pi * fraction))

    if step <= peak:
        return cosine(initial_lr, max_lr, step / peak)
    return cosine(max_lr, min_lr, (step - peak) / (total_steps - 1 - peak))
# --8<-- [end:one-cycle]


if __name__ == "__main__":
    torch.set_num_threads(1)  # the same numbers as the tests
    x, y = digits_data()
    lrs, losses = lr_range_test(x, y)
    max_lr, lowest = pick_max_lr(lrs, losses), lrs[losses.index(min(losses))]
    print(f"range test: {len(lrs)} rates from {lrs[0]:g} to {lrs[-1]:.3g}; lowest loss at lr = {lowest:.3g}, "
          f"steepest fall at lr = {max_lr:.3g}")
    run = train(x, y, one_cycle(max_lr), max_lr)
    rates = run["lr"]
    print(f"OneCycleLR(max_lr={max_lr:.3g}): lr {rates[0]:.3g} -> peak {max(rates):.3g} at step "
          f"{rates.index(max(rates))} -> {rates[-1]:.3g}; final loss {run['loss'][-1]:.3f}, "
          f"accuracy {run['final_accuracy']:.3f}")
