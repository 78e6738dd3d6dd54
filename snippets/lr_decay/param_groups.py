"""Different rates and schedules for a backbone and a head, and stepping per update under accumulation."""
# --8<-- [start:imports]
import math

import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR
# --8<-- [end:imports]


# --8<-- [start:groups]
def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.ModuleDict({"backbone": nn.Linear(8, 16), "head": nn.Linear(16, 2)})


def backbone_and_head(model, backbone_lr=0.01, head_lr=0.1, warmup_steps=5, total_steps=50):
    """Two parameter groups: the backbone warms up slowly, the head starts at full rate; both cosine."""
    optimizer = torch.optim.SGD([
        {"params": model["backbone"].parameters(), "lr": backbone_lr},
        {"params": model["head"].parameters(), "lr": head_lr},
    ], momentum=0.9)

    def backbone_factor(step):
        warm = min(1.0, (step + 1) / warmup_steps)
        return warm * 0.5 * (1 + math.cos(math.pi * step / total_steps))

    def head_factor(step):
        return 0.5 * (1 + math.cos(math.pi * step / total_steps))

    scheduler = LambdaLR(optimizer, [backbone_factor, head_factor])  # one function per group, in order
    return optimizer, scheduler
# --8<-- [end:groups]


# --8<-- [start:accumulation]
def rates_with_accumulation(micro_batches, accumulation, per_micro_batch=False, total_updates=None):
    """Train on `micro_batches` batches, one optimizer step every `accumulation` of them.

    Returns the rate of each optimizer step. The scheduler belongs next to optimizer.step():
    `per_micro_batch=True` is the mistake of stepping it on every micro-batch.
    """
    model = make_model()
    total_updates = total_updates or micro_batches // accumulation
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = CosineAnnealingLR(optimizer, T_max=total_updates)
    x, y = torch.randn(micro_batches, 4, 8), torch.randint(0, 2, (micro_batches, 4))
    rates = []
    for i in range(micro_batches):
        logits = model["head"](torch.relu(model["backbone"](x[i])))
        loss = nn.functional.cross_entropy(logits, y[i]) / accumulation  # average over the update
        loss.backward()
        if (i + 1) % accumulation == 0:
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            optimizer.zero_grad()
            if not per_micro_batch:
                scheduler.step()  # once per optimizer step
        if per_micro_batch:
            scheduler.step()  # wrong: `accumulation` times per update
    return rates
# --8<-- [end:accumulation]


if __name__ == "__main__":
    model = make_model()
    optimizer, scheduler = backbone_and_head(model)
    for step in range(50):
        if step in (0, 4, 25, 49):
            backbone, head = scheduler.get_last_lr()
            print(f"step {step:2d}  backbone lr {backbone:.5f}  head lr {head:.5f}")
        optimizer.step()
        scheduler.step()
    try:
        LambdaLR(optimizer, [lambda step: 1.0])  # one function for two groups
    except ValueError as error:
        print("ValueError:", error)
    right = rates_with_accumulation(micro_batches=40, accumulation=4)
    wrong = rates_with_accumulation(micro_batches=40, accumulation=4, per_micro_batch=True)
    print("per optimizer step:", [round(r, 4) for r in right])
    print("per micro-batch:   ", [round(r, 4) for r in wrong])
