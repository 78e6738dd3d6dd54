"""Per-layer gradient norms point at the layer that explodes: a small RNN, logged per step."""

# --8<-- [start:imports]
import torch
from torch import nn

from clip_monitor import GradNormLog

# --8<-- [end:imports]

# --8<-- [start:model]
class RecallFirst(nn.Module):
    """A tanh RNN that must output the first input of a sequence after reading all of it."""

    def __init__(self, hidden=32, gain=1.0):
        super().__init__()
        self.rnn = nn.RNN(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        # gain > 1: the recurrent weight stretches the state at every step
        nn.init.orthogonal_(self.rnn.weight_hh_l0, gain=gain)

    def forward(self, x):
        states, _ = self.rnn(x)
        return self.head(states[:, -1])


def train_rnn(gain=1.0, steps=60, length=40, lr=0.01, seed=0):
    """SGD with momentum; logs every layer's gradient norm, clips nothing."""
    torch.manual_seed(seed)
    model = RecallFirst(gain=gain)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    log = GradNormLog()  # max_norm=inf: measure only
    data = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(32, length, 1, generator=data)
        loss = nn.functional.mse_loss(model(x), x[:, 0])
        opt.zero_grad()
        loss.backward()
        log.clip_and_log(model)
        opt.step()
    return log


# --8<-- [end:model]

# --8<-- [start:find]
def loudest_layer(log):
    """The layer with the largest gradient norm seen, and that norm."""
    peaks = {layer: max(norms) for layer, norms in log.per_layer.items()}
    layer = max(peaks, key=peaks.get)
    return layer, peaks[layer]


# --8<-- [end:find]


if __name__ == "__main__":
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    for gain in (1.0, 2.0):
        log = train_rnn(gain=gain)
        peaks = {k: round(max(v), 1) for k, v in log.per_layer.items()}
        print(f"gain {gain}: largest norm per layer {peaks}; loudest {loudest_layer(log)[0]}")
