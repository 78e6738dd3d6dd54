"""Gradient accumulation: k micro-batches give the same clipped update as one big batch."""
# --8<-- [start:imports]
import torch
from torch import nn
# --8<-- [end:imports]


# --8<-- [start:accumulate]
def accumulate(model, micro_batches, after_each=lambda: None):
    """Backward over (x, y) micro-batches; .grad ends up holding the big batch's mean gradient."""
    n_total = sum(len(x) for x, _ in micro_batches)
    for x, y in micro_batches:
        loss = nn.functional.mse_loss(model(x), y)
        # weight n_i / N (= 1/k for equal sizes): the summed gradients are the big batch's mean
        (loss * len(x) / n_total).backward()
        after_each()


def accumulation_step(model, optimizer, scheduler, micro_batches, max_norm,
                      clip_each=False, schedule_each=False):
    """One optimizer step from k micro-batches; returns the norm clipping saw and the lr used.

    clip_each / schedule_each switch on the two wrong orders, for comparison.
    """
    def after_each():
        if clip_each:  # wrong: clips a partial sum, before all micro-batches are in
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        if schedule_each:  # wrong: the schedule advances k times per optimizer step
            scheduler.step()

    accumulate(model, micro_batches, after_each)
    # right: clip once, the accumulated (= big-batch) gradient
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    lr = optimizer.param_groups[0]["lr"]
    optimizer.step()
    if not schedule_each:  # right: one scheduler step per optimizer step
        scheduler.step()
    optimizer.zero_grad()
    return norm.item(), lr
# --8<-- [end:accumulate]


# --8<-- [start:setup]
def make_run(seed=0, warmup=4):
    """A float64 MLP, SGD and a linear warmup over `warmup` optimizer steps, from one seed."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
    return model, optimizer, scheduler


def make_data(n=32, seed=1):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=generator, dtype=torch.float64)
    return x, (3 * x[:, :1]).sin() + 0.1 * torch.randn(n, 1, generator=generator, dtype=torch.float64)


def train(steps, k, max_norm=0.3, sizes=None, **wrong):
    """`steps` optimizer steps on the same batch of 32, split into k micro-batches
    (or into `sizes`); returns the flat parameters and (norm, lr) of each step."""
    model, optimizer, scheduler = make_run()
    x, y = make_data()
    sizes = sizes or [len(x) // k] * k
    micro_batches = list(zip(x.split(sizes), y.split(sizes)))
    log = [accumulation_step(model, optimizer, scheduler, micro_batches, max_norm, **wrong)
           for _ in range(steps)]
    return nn.utils.parameters_to_vector(model.parameters()).detach(), log
# --8<-- [end:setup]


if __name__ == "__main__":
    big, big_log = train(steps=3, k=1)
    for name, kwargs in [("accumulate k=4", {"k": 4}),
                         ("accumulate sizes 4+12+16", {"k": 3, "sizes": [4, 12, 16]}),
                         ("clip each micro-batch", {"k": 4, "clip_each": True}),
                         ("scheduler per micro-batch", {"k": 4, "schedule_each": True})]:
        params, log = train(steps=3, **kwargs)
        print(f"{name:26s} max |param - big batch| = {(params - big).abs().max().item():.1e}  "
              f"(norm, lr) per step: {[(round(n, 3), lr) for n, lr in log]}")
    print(f"{'big batch':26s} (norm, lr) per step: {[(round(n, 3), lr) for n, lr in big_log]}")
