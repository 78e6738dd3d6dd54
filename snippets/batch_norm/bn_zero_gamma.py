"""Zero-initialised gamma in the last BN of each residual block: identity at start, effect on training."""
# --8<-- [start:imports]
import torch
from torch import nn

from norm_compare import accuracy, digits_split  # the data and evaluation shown above
# --8<-- [end:imports]


# --8<-- [start:block]
class ResidualBlock(nn.Module):
    """relu(x + BN(Linear(relu(BN(Linear(x)))))), the basic ResNet block for feature vectors."""

    def __init__(self, width, zero_gamma=False):
        super().__init__()
        self.branch = nn.Sequential(
            nn.Linear(width, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Linear(width, width, bias=False), nn.BatchNorm1d(width))
        if zero_gamma:  # the branch outputs beta = 0: the block starts as relu(x)
            nn.init.zeros_(self.branch[-1].weight)

    def forward(self, x):
        return torch.relu(x + self.branch(x))


def residual_mlp(depth, zero_gamma, width=64):
    """A stem, `depth` residual blocks and a linear classifier for the 64 digit features."""
    return nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                         *[ResidualBlock(width, zero_gamma) for _ in range(depth)],
                         nn.Linear(width, 10))
# --8<-- [end:block]


# --8<-- [start:short-run]
def short_run(zero_gamma, depth, steps=30, batch_size=32, lr=0.02, seed=0, data=None):
    """Train for a few SGD steps (random batches); return the test accuracy and the losses."""
    x_train, y_train, x_test, y_test = data if data is not None else digits_split()
    torch.manual_seed(seed)
    model = residual_mlp(depth, zero_gamma)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    losses = []
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(x_train), (batch_size,), generator=g)
        loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return accuracy(model, x_test, y_test), losses
# --8<-- [end:short-run]


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
    # --8<-- [start:demo]
    data = digits_split()
    for depth, lr in [(8, 0.02), (2, 0.005)]:  # a deeper net; a shallow one with a small lr
        for zero_gamma in (False, True):
            accs = [short_run(zero_gamma, depth, lr=lr, seed=s, data=data)[0] for s in (0, 1)]
            print(f"{depth} blocks, lr {lr}, zero_gamma={zero_gamma!s:5}: test accuracy after "
                  f"30 steps, seeds 0 and 1: {accs[0]:.3f}, {accs[1]:.3f}")
    # --8<-- [end:demo]
