"""FSDP2: clip_grad_norm_ on shards returns the global norm: torchrun --nproc_per_node 2 dist_fsdp_clip.py"""
# --8<-- [start:imports]
import math

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.fsdp import fully_shard

from dist_ddp_clip import make_batch, make_model, one_process_step
from dist_launch import from_every_rank, print_comparison, run_script, started_by_torchrun
# --8<-- [end:imports]


# --8<-- [start:sharded_model]
def make_sharded_model():
    """The model of dist_ddp_clip.py, each Linear and then the whole model sharded with FSDP2."""
    model = make_model()
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer)
    return fully_shard(model)
# --8<-- [end:sharded_model]


# --8<-- [start:scratch]
def global_grad_norm(parameters, norm_type=2.0):
    """The norm of the full gradient, from this process's shards and one all_reduce."""
    shards = [p.grad.to_local() for p in parameters if p.grad is not None]  # may be empty
    if math.isinf(norm_type):  # the largest entry: MAX over processes
        local = torch.stack([s.abs().max() for s in shards if s.numel()] or [torch.zeros(())]).max()
        dist.all_reduce(local, op=dist.ReduceOp.MAX)
        return local
    # sum of |g|^p over the local entries, summed over processes, then the p-th root
    local = sum(s.abs().pow(norm_type).sum() for s in shards)
    dist.all_reduce(local, op=dist.ReduceOp.SUM)
    return local.pow(1.0 / norm_type)


def clip_sharded_(parameters, max_norm):
    """clip_grad_norm_ by hand: one global norm, then each process scales its own shards."""
    parameters = list(parameters)
    norm = global_grad_norm(parameters)
    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for p in parameters:
        p.grad.to_local().mul_(scale)
    return norm
# --8<-- [end:scratch]


# --8<-- [start:fsdp_step]
def fsdp_step(model, optimizer, micro_batches, max_norm, by_hand=False):
    """Accumulate k micro-batches (reduce-scatter on the last only), clip the global norm, step."""
    k = len(micro_batches)
    for i, (x, y) in enumerate(micro_batches):
        model.set_requires_gradient_sync(i == k - 1)  # FSDP2's counterpart of DDP's no_sync()
        (nn.functional.mse_loss(model(x), y) / k).backward()
    if by_hand:
        norm = clip_sharded_(model.parameters(), max_norm)
    else:  # a DTensor holding the global norm, the same on every process
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    optimizer.zero_grad()
    return norm
# --8<-- [end:fsdp_step]


def compare(k=2, max_norm=0.3, steps=3, lr=0.5, by_hand=False):
    """FSDP2 and the one-process reference side by side; this process's numbers."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y = make_batch()
    reference, model = make_model(), make_sharded_model()
    ref_opt = torch.optim.SGD(reference.parameters(), lr=lr)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    mine = list(zip(x.chunk(world)[rank].chunk(k), y.chunk(world)[rank].chunk(k)))
    norms = [(fsdp_step(model, optimizer, mine, max_norm, by_hand).item(),
              one_process_step(reference, ref_opt, x, y, max_norm).item()) for _ in range(steps)]
    diff = max((p.full_tensor() - q).abs().max().item()
               for p, q in zip(model.parameters(), reference.parameters()))
    return {"norms": norms, "max_param_diff": diff}


def shard_norms():
    """After one backward: this process's shard norm alone, and the global L2 and max norms."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y = make_batch()
    model, reference = make_sharded_model(), make_model()
    nn.functional.mse_loss(model(x.chunk(world)[rank]), y.chunk(world)[rank]).backward()
    nn.functional.mse_loss(reference(x), y).backward()
    full = torch.cat([p.grad.flatten() for p in reference.parameters()])
    local = torch.cat([p.grad.to_local().flatten() for p in model.parameters()])
    return {"local_shard_norm": local.norm().item(), "global_norm": global_grad_norm(model.parameters()).item(),
            "global_max": global_grad_norm(model.parameters(), math.inf).item(),
            "unsharded_norm": full.norm().item(), "unsharded_max": full.abs().max().item()}


# --8<-- [start:amp]
def overflow_in_one_shard():
    """An inf in rank 0's shard only: does GradScaler skip the step on both processes?"""
    x, y = make_batch(8)
    model = make_sharded_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    before = [p.to_local().detach().clone() for p in model.parameters()]
    scaler.scale(nn.functional.mse_loss(model(x), y)).backward()
    if dist.get_rank() == 0:
        next(model.parameters()).grad.to_local()[0, 0] = float("inf")
    scaler.unscale_(optimizer)  # the inf check runs on DTensor gradients
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.3)
    scaler.step(optimizer)
    scaler.update()
    stepped = any(not torch.equal(b, p.to_local()) for b, p in zip(before, model.parameters()))
    return {"stepped": stepped, "scale": scaler.get_scale()}
# --8<-- [end:amp]


def main():
    dist.init_process_group("gloo")
    for by_hand in (False, True):
        results = from_every_rank(compare(by_hand=by_hand))
        if dist.get_rank() == 0:
            print_comparison("clipped by hand" if by_hand else "clipped with clip_grad_norm_", results, "FSDP2")
    results = from_every_rank(shard_norms())
    if dist.get_rank() == 0:
        for rank, result in enumerate(results):
            print(f"rank {rank}:", {key: round(value, 6) for key, value in result.items()})
    results = from_every_rank(overflow_in_one_shard())
    if dist.get_rank() == 0:
        print("inf in rank 0's shard only:", results)
    dist.destroy_process_group()


if __name__ == "__main__":
    main() if started_by_torchrun() else run_script(__file__)
