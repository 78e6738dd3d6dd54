"""DDP with accumulation and clipping gives the one-process update: torchrun --nproc_per_node 2 dist_ddp_clip.py"""
# --8<-- [start:imports]
from contextlib import nullcontext

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from dist_launch import from_every_rank, print_comparison, run_script, started_by_torchrun
# --8<-- [end:imports]


def make_model(seed=0):
    torch.manual_seed(seed)  # the same start everywhere (DDP also broadcasts rank 0's weights)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1)).double()


def make_batch(n=32, seed=1):
    """The global batch; every process builds it and keeps its own share."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=generator, dtype=torch.float64)
    return x, (3 * x[:, :1]).sin()


# --8<-- [start:ddp_step]
def ddp_step(model, optimizer, micro_batches, max_norm):
    """One step over this process's k micro-batches: all-reduce on the last backward only, then clip."""
    k = len(micro_batches)
    for i, (x, y) in enumerate(micro_batches):
        with model.no_sync() if i < k - 1 else nullcontext():
            loss = nn.functional.mse_loss(model(x), y) / k
            loss.backward()  # in no_sync: local only; the last one averages the sums over processes
    # every process now holds the same averaged gradient: this is the global norm
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    optimizer.zero_grad()
    return norm
# --8<-- [end:ddp_step]


# --8<-- [start:amp_step]
def ddp_amp_step(model, optimizer, scaler, micro_batches, max_norm):
    """The same step with float16-style loss scaling: unscale_ once, after the last backward."""
    k = len(micro_batches)
    for i, (x, y) in enumerate(micro_batches):
        with model.no_sync() if i < k - 1 else nullcontext():
            scaler.scale(nn.functional.mse_loss(model(x), y) / k).backward()
    scaler.unscale_(optimizer)  # after the all-reduce, before clipping
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)  # skipped on every process if any gradient is inf/NaN
    scaler.update()
    optimizer.zero_grad()
    return norm
# --8<-- [end:amp_step]


def one_process_step(model, optimizer, x, y, max_norm):
    """The reference: the whole global batch in one process, the same clipping."""
    nn.functional.mse_loss(model(x), y).backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    optimizer.zero_grad()
    return norm


def compare(k=2, max_norm=0.3, steps=3, lr=0.5, scaled=False):
    """Train DDP and the one-process reference side by side; this process's numbers."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y = make_batch()
    reference, model = make_model(), DDP(make_model())
    ref_opt = torch.optim.SGD(reference.parameters(), lr=lr)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)  # on a GPU: GradScaler("cuda")
    mine = list(zip(x.chunk(world)[rank].chunk(k), y.chunk(world)[rank].chunk(k)))
    norms = []
    for _ in range(steps):
        norm = (ddp_amp_step(model, optimizer, scaler, mine, max_norm) if scaled
                else ddp_step(model, optimizer, mine, max_norm))
        norms.append((norm.item(), one_process_step(reference, ref_opt, x, y, max_norm).item()))
    diff = max((p - q).abs().max().item() for p, q in zip(model.parameters(), reference.parameters()))
    return {"norms": norms, "max_param_diff": diff}


def overflow_on_one_process():
    """Rank 1 alone meets an inf; the all-reduce spreads it, so every process skips the step."""
    x, y = make_batch(8)
    if dist.get_rank() == 1:
        x[0, 0] = float("inf")
    model = DDP(make_model())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    before = nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    ddp_amp_step(model, optimizer, scaler, [(x, y)], max_norm=0.3)
    moved = not torch.equal(before, nn.utils.parameters_to_vector(model.parameters()))
    return {"stepped": moved, "scale": scaler.get_scale()}


def main():
    dist.init_process_group("gloo")
    for scaled in (False, True):
        results = from_every_rank(compare(scaled=scaled))
        if dist.get_rank() == 0:
            print_comparison("with GradScaler" if scaled else "without GradScaler", results, "DDP")
    results = from_every_rank(overflow_on_one_process())
    if dist.get_rank() == 0:
        print("inf on rank 1 only:", results)
    dist.destroy_process_group()


if __name__ == "__main__":
    main() if started_by_torchrun() else run_script(__file__)
