"""BatchNorm across processes: local statistics, DDP's buffers, synchronized statistics by hand.

torchrun --nproc_per_node 2 dist_sync_bn.py
"""
# --8<-- [start:imports]
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from dist_launch import from_every_rank, run_script, started_by_torchrun
# --8<-- [end:imports]


# --8<-- [start:sync_bn]
class AllReduceSum(torch.autograd.Function):
    """all_reduce(SUM) that autograd can go through: the backward pass sums the gradients too."""

    @staticmethod
    def forward(ctx, x):
        x = x.clone()
        dist.all_reduce(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


def sync_batch_norm(x, bn):
    """Training-mode BatchNorm1d over the batch of ALL processes, for x of shape (n_local, C).

    One all_reduce of (sum, sum of squares, count) gives the global mean and variance.
    """
    n = torch.full((1, x.shape[1]), float(len(x)), dtype=x.dtype)
    stats = torch.cat([x.sum(0, keepdim=True), (x * x).sum(0, keepdim=True), n])
    total = AllReduceSum.apply(stats)
    count = total[2]
    mean = total[0] / count
    var = total[1] / count - mean * mean  # biased: normalizes the batch
    with torch.no_grad():  # running statistics take the unbiased variance, as BatchNorm does
        m = bn.momentum
        bn.running_mean.mul_(1 - m).add_(m * mean)
        bn.running_var.mul_(1 - m).add_(m * var * count / (count - 1))
        bn.num_batches_tracked += 1
    return (x - mean) / torch.sqrt(var + bn.eps) * bn.weight + bn.bias
# --8<-- [end:sync_bn]


def make_batch(n=16, channels=3, seed=2):
    """The global batch: on rank 1 its share is shifted, as a differently ordered data shard might be."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, channels, generator=generator, dtype=torch.float64)
    x[n // 2:] += 1.5
    return x


def compare():
    """Per-process BN and the hand-written sync BN against BN over the global batch."""
    rank, world = dist.get_rank(), dist.get_world_size()
    x = make_batch()
    probe = torch.linspace(-1, 1, x.numel(), dtype=x.dtype).reshape(x.shape)  # a loss that weighs outputs
    reference = nn.BatchNorm1d(x.shape[1]).double()
    whole = x.clone().requires_grad_()
    (reference(whole) * probe).sum().backward()
    mine = slice(rank * len(x) // world, (rank + 1) * len(x) // world)
    with torch.no_grad():
        expected = nn.functional.batch_norm(x, None, None, reference.weight, reference.bias, training=True)[mine]
    local_bn, synced_bn = nn.BatchNorm1d(x.shape[1]).double(), nn.BatchNorm1d(x.shape[1]).double()
    local_out = local_bn(x[mine])
    part = x[mine].clone().requires_grad_()
    synced_out = sync_batch_norm(part, synced_bn)
    (synced_out * probe[mine]).sum().backward()
    return {"local_vs_global": (local_out - expected).abs().max().item(),
            "synced_vs_global": (synced_out - expected).abs().max().item(),
            "running_mean_diff": (synced_bn.running_mean - reference.running_mean).abs().max().item(),
            "running_var_diff": (synced_bn.running_var - reference.running_var).abs().max().item(),
            "input_grad_diff": (part.grad - whole.grad[mine]).abs().max().item()}


# --8<-- [start:buffers]
def running_means_under_ddp(forward_sync_buffers=True, steps=3):
    """BN's running_mean on each process after `steps` forwards of DDP on different data."""
    rank = dist.get_rank()
    torch.manual_seed(0)
    model = DDP(nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 1)).double(),
                forward_sync_buffers=forward_sync_buffers)  # broadcast_buffers before 2.13
    generator = torch.Generator().manual_seed(10 + rank)  # each process its own data
    batches = [torch.randn(8, 3, generator=generator, dtype=torch.float64) + rank for _ in range(steps)]
    for x in batches:
        model(x).sum().backward()
    return model.module[0].running_mean.clone(), batches
# --8<-- [end:buffers]


def sync_bn_on_cpu():
    """convert_sync_batchnorm swaps the layers; DDP then refuses them on the CPU."""
    model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
    try:
        DDP(model)
        message = None
    except ValueError as error:
        message = str(error)
    return type(model[1]).__name__, message


def main():
    dist.init_process_group("gloo")
    results = from_every_rank(compare())
    for flag in (True, False):
        means = from_every_rank(running_means_under_ddp(flag)[0].tolist())
        if dist.get_rank() == 0:
            print(f"forward_sync_buffers={flag}: running_mean per rank", [[round(v, 4) for v in m] for m in means])
    layer, message = sync_bn_on_cpu()
    if dist.get_rank() == 0:
        for rank, result in enumerate(results):
            print(f"rank {rank}:", {key: float(f"{value:.1e}") for key, value in result.items()})
        print(f"after convert_sync_batchnorm: {layer}; DDP on the CPU: {message}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main() if started_by_torchrun() else run_script(__file__)
