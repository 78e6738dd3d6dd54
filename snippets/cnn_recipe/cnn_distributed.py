"""Data-parallel training under torchrun: this process's place, device, process group and model."""
# --8<-- [start:world]
import contextlib
import io
import os
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class World:
    rank: int = 0        # this process, 0..size-1 over all machines
    size: int = 1        # processes in the run
    local_rank: int = 0  # this process on its machine: the GPU it takes

    @property
    def is_main(self):  # rank 0 speaks for the run: it prints, logs and saves
        return self.rank == 0


def this_process():
    """torchrun sets these variables for every process it starts; `python` alone is a world of 1."""
    env = os.environ
    return World(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)),
                 int(env.get("LOCAL_RANK", 0)))


def process_device(device, world):
    """Under torchrun each process takes the GPU of its local rank."""
    if device.type == "cuda" and world.size > 1:
        return torch.device("cuda", world.local_rank)
    return device


@contextlib.contextmanager
def process_group(world, device):
    """Join the other processes (NCCL between GPUs, gloo on CPUs) for the length of the run."""
    if world.size == 1:
        yield
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


@contextlib.contextmanager
def quiet_unless_main(world):
    """Processes other than rank 0 print nothing: one run, one voice."""
    if world.is_main:
        yield
        return
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def exit_after_rank_0(code, world, wait_s=60):
    """A failing process other than rank 0 waits before it exits: torchrun stops every process
    once one has failed, and rank 0 must first say why."""
    if code and not world.is_main:
        time.sleep(wait_s)  # torchrun ends this wait when rank 0 exits
    return code
# --8<-- [end:world]


# --8<-- [start:wrap]
def data_parallel(model, world, device):
    """DDP averages the gradients over processes inside backward(), before clipping sees them."""
    if world.size == 1:
        return model
    return nn.parallel.DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None)


def sync_batch_norm(model):
    """BN statistics over the global batch instead of each process's share (GPUs only)."""
    return nn.SyncBatchNorm.convert_sync_batchnorm(model)


def mean_over_processes(values, world):
    """The average of a tensor over all processes (the global batch's loss), the same everywhere."""
    if world.size > 1:
        values = values.clone()
        dist.all_reduce(values)  # gloo has no AVG: sum, then divide
        values /= world.size
    return values
# --8<-- [end:wrap]


if __name__ == "__main__":
    world = this_process()
    print(f"{world}, main process: {world.is_main}, device {process_device(torch.device('cpu'), world)}")
