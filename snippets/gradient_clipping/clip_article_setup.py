"""The source article's monitoring setup, re-run: how often does clipping act there at all?"""
# --8<-- [start:imports]
import torch
from torch import nn

# --8<-- [end:imports]

# --8<-- [start:article]
def article_run(max_norm=1.0, steps=1000, seed=0):
    """Linear(10, 1) on fresh random inputs and targets, SGD lr 0.01, batch 32."""
    torch.manual_seed(seed)
    model = nn.Linear(10, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    norms, losses = [], []
    for _ in range(steps):
        x, y = torch.randn(32, 10), torch.randn(32, 1)
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        # log a float: GPU tensors would need .cpu() before plotting
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm).item())
        losses.append(loss.item())
        opt.step()
    return {"norms": norms, "losses": losses}
# --8<-- [end:article]


if __name__ == "__main__":
    for c in (1.0, float("inf")):
        run = article_run(max_norm=c)
        n = torch.tensor(run["norms"])
        tail = sum(run["losses"][-200:]) / 200
        print(f"max_norm={c}: median norm {n.median():.2f}, "
              f"clipped {(n > 1.0).float().mean():.0%} of steps (c = 1), "
              f"mean loss over the last 200 steps {tail:.3f}")
