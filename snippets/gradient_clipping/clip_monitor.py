"""Clip by total norm; log total, per-layer and clipped gradient norms at every step."""

# --8<-- [start:imports]
from collections import defaultdict

import torch

# --8<-- [end:imports]

# --8<-- [start:monitor]
class GradNormLog:
    """Call clip_and_log(model) between loss.backward() and optimizer.step()."""

    def __init__(self, max_norm=float("inf")):
        self.max_norm = max_norm  # inf: only measure, never clip
        self.total = []  # total norm before clipping, one float per step
        self.clipped_total = []  # total norm after clipping
        self.per_layer = defaultdict(list)  # layer name -> norm of its gradients

    @torch.no_grad()
    def clip_and_log(self, model):
        grads = {}
        for name, p in model.named_parameters():
            if p.grad is not None:
                # "0.weight" and "0.bias" -> layer "0"
                layer = name.rpartition(".")[0] or name
                grads.setdefault(layer, []).append(p.grad)
        for layer, gs in grads.items():
            self.per_layer[layer].append(torch.nn.utils.get_total_norm(gs).item())
        # returns the norm BEFORE clipping; .item() stores a float, not a tensor
        total = torch.nn.utils.clip_grad_norm_(model.parameters(), self.max_norm).item()
        after = torch.nn.utils.get_total_norm(
            [g for gs in grads.values() for g in gs]
        ).item()
        self.total.append(total)
        self.clipped_total.append(after)
        return total

    def clipped_fraction(self):
        """Share of logged steps whose norm was above the threshold (scaled down)."""
        return sum(n > self.max_norm for n in self.total) / max(len(self.total), 1)

    def summary(self):
        t = torch.tensor(self.total)
        finite = t[torch.isfinite(t)]
        return {
            "steps": len(self.total),
            "clipped_fraction": self.clipped_fraction(),
            "median": finite.median().item() if len(finite) else float("nan"),
            "p99": finite.quantile(0.99).item() if len(finite) else float("nan"),
            "nonfinite_steps": int((~torch.isfinite(t)).sum()),
        }


# --8<-- [end:monitor]


if __name__ == "__main__":
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    log = GradNormLog(max_norm=0.5)
    for step in range(100):
        x = torch.randn(32, 8)
        loss = torch.nn.functional.mse_loss(model(x), x.sum(1, keepdim=True))
        opt.zero_grad()
        loss.backward()
        log.clip_and_log(model)
        opt.step()
    print(log.summary())
    print(
        {layer: round(v[-1], 4) for layer, v in log.per_layer.items()},
        "(last step, per layer)",
    )
