"""RNN recipe: a GRU (or LSTM) on the adding problem with gradient clipping, Adam and step decay."""
# --8<-- [start:imports]
import torch
from torch import nn
# --8<-- [end:imports]


# --8<-- [start:data]
def adding_batch(batch_size, seq_len, generator=None):
    """Adding problem: sum the two values marked by a 1 in the second input channel."""
    values = torch.rand(batch_size, seq_len, generator=generator)
    markers = torch.zeros(batch_size, seq_len)
    half = seq_len // 2
    first = torch.randint(0, half, (batch_size,), generator=generator)
    second = torch.randint(half, seq_len, (batch_size,), generator=generator)
    rows = torch.arange(batch_size)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)           # (batch, seq_len, 2)
    y = (values * markers).sum(dim=1, keepdim=True)      # (batch, 1), mean 1, variance 1/6
    return x, y
# --8<-- [end:data]


# --8<-- [start:model]
class AddingRNN(nn.Module):
    def __init__(self, hidden=32, cell="gru"):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(input_size=2, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])  # read the answer from the last time step
# --8<-- [end:model]


# --8<-- [start:train]
def train_adding(steps=300, seq_len=20, batch_size=32, lr=1e-2, max_norm=1.0,
                 decay_every=200, gamma=0.3, cell="gru", seed=0):
    """Train and return the model plus per-step loss, pre-clip gradient norm and LR."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = AddingRNN(cell=cell)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=decay_every, gamma=gamma)
    loss_fn = nn.MSELoss()
    history = {"loss": [], "grad_norm": [], "lr": []}
    for _ in range(steps):
        x, y = adding_batch(batch_size, seq_len, gen)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        # clip_grad_norm_ returns the total norm *before* clipping: log it to choose max_norm.
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        history["lr"].append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()  # StepLR counts optimizer steps here, not epochs
        history["loss"].append(loss.item())
        history["grad_norm"].append(norm.item())
    return model, history
# --8<-- [end:train]


# --8<-- [start:evaluate]
@torch.no_grad()
def evaluate_adding(model, seq_len=20, n=2000, seed=123):
    """Test MSE of the model and of the best constant answer (predict the mean, 1.0)."""
    x, y = adding_batch(n, seq_len, torch.Generator().manual_seed(seed))
    model_mse = nn.functional.mse_loss(model(x), y).item()
    baseline_mse = nn.functional.mse_loss(torch.ones_like(y), y).item()
    return model_mse, baseline_mse
# --8<-- [end:evaluate]


# --8<-- [start:batch_norm_of_grad]
def grad_norm_by_batch_size(model, batch_sizes, seq_len=20, repeats=20, seed=0):
    """Root-mean-square gradient norm of the mean-reduced loss at fixed weights, per batch size."""
    gen = torch.Generator().manual_seed(seed)
    result = {}
    for b in batch_sizes:
        squares = []
        for _ in range(repeats):
            x, y = adding_batch(b, seq_len, gen)
            model.zero_grad(set_to_none=True)
            nn.functional.mse_loss(model(x), y).backward()
            grads = torch.cat([p.grad.flatten() for p in model.parameters()])
            squares.append(grads.pow(2).sum().item())
        result[b] = (sum(squares) / len(squares)) ** 0.5
    return result
# --8<-- [end:batch_norm_of_grad]


if __name__ == "__main__":
    torch.set_num_threads(1)  # a model this small runs faster on one CPU thread
    model, hist = train_adding()
    mse, base = evaluate_adding(model)
    clipped = sum(n > 1.0 for n in hist["grad_norm"])
    print(f"test MSE {mse:.4f} vs predict-the-mean {base:.4f}; "
          f"clipped on {clipped} of {len(hist['grad_norm'])} steps")
    torch.manual_seed(0)
    for name, m in [("untrained", AddingRNN()), ("trained", model)]:
        norms = grad_norm_by_batch_size(m, [8, 64, 512])
        print(f"{name:9s} gradient norm by batch size:",
              ", ".join(f"B={b}: {n:.4f}" for b, n in norms.items()))
