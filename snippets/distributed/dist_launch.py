"""Run a script on 2 processes the way torchrun does, unless torchrun already started it."""
import os
import runpy
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def started_by_torchrun():
    return "RANK" in os.environ


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as_rank(rank, world_size, port, path):
    # the variables torchrun sets; init_process_group("gloo") reads them
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size),
                      LOCAL_WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)  # as torchrun's OMP_NUM_THREADS=1: processes share the cores
    runpy.run_path(path, run_name="__main__")


def run_script(path, nproc=2):
    """`python script.py` then behaves like `torchrun --nproc_per_node 2 script.py`."""
    mp.spawn(_run_as_rank, args=(nproc, free_port(), os.path.abspath(path)), nprocs=nproc)


def from_every_rank(value):
    """`value` of every process, as a list indexed by rank (for printing on rank 0)."""
    values = [None] * dist.get_world_size()
    dist.all_gather_object(values, value)
    return values


def print_comparison(title, results, what):
    """On rank 0: each rank's (distributed norm, one-process norm) per step and its largest gap."""
    print(title)
    for rank, result in enumerate(results):
        print(f"  rank {rank}: ({what} norm, one-process norm) per step "
              f"{[(round(a, 6), round(b, 6)) for a, b in result['norms']]}, "
              f"max |param - one process| = {result['max_param_diff']:.1e}")
