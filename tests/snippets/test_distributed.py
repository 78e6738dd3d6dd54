"""Checks of what the multi-device chapter claims about its snippets.

The multi-process claims are checked by one real two-process run over gloo: this file, started by
torchrun (``python -m torch.distributed.run --standalone --nproc_per_node 2``), runs every check on
both ranks and rank 0 saves what each rank saw; the tests below read it.
"""
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.support import load_snippet  # noqa: E402

accum = load_snippet("distributed/dist_accum.py")
large = load_snippet("distributed/dist_large_batch.py")
ex_unequal = load_snippet("distributed/dist_ex_unequal.py")
ex_ranks = load_snippet("distributed/dist_ex_uneven_ranks.py")


def run_two_processes(tmp_path, mode):
    """Start this file on 2 processes as torchrun does; return what each rank reported."""
    out = tmp_path / f"{mode}.pt"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             __file__, mode, str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return torch.load(out, weights_only=False)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    return run_two_processes(tmp_path_factory.mktemp("distributed"), "cpu")


# --- gradient accumulation (one process) ------------------------------------------------------
def _grad(model):
    return torch.cat([p.grad.flatten() for p in model.parameters()])


@pytest.mark.parametrize("sizes", [[8, 8, 8, 8], [4, 12, 16]])
def test_accumulated_gradient_is_the_big_batch_gradient(sizes):
    x, y = accum.make_data()
    model, _, _ = accum.make_run()
    accum.accumulate(model, list(zip(x.split(sizes), y.split(sizes))))
    big, _, _ = accum.make_run()
    nn.functional.mse_loss(big(x), y).backward()
    torch.testing.assert_close(_grad(model), _grad(big), rtol=0, atol=1e-15)


def test_accumulation_gives_the_big_batch_clipped_update():
    big, big_log = accum.train(steps=3, k=1)
    assert big_log[0][0] > 0.3  # clipping acts on the first step (norm 0.643 > c = 0.3)
    assert [round(n, 3) for n, _ in big_log] == [0.643, 0.53, 0.338]
    for kwargs in ({"k": 4}, {"k": 3, "sizes": [4, 12, 16]}):
        params, log = accum.train(steps=3, **kwargs)
        assert (params - big).abs().max() < 1e-15
        assert [lr for _, lr in log] == [lr for _, lr in big_log] == [0.125, 0.25, 0.375]
        for (n, _), (m, _) in zip(log, big_log):
            assert n == pytest.approx(m, abs=1e-14)


def test_the_wrong_orders_change_the_update():
    big, _ = accum.train(steps=3, k=1)
    clip_each, clip_log = accum.train(steps=3, k=4, clip_each=True)
    assert f"{(clip_each - big).abs().max().item():.1e}" == "5.8e-02"
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched_each, sched_log = accum.train(steps=3, k=4, schedule_each=True)
    assert f"{(sched_each - big).abs().max().item():.1e}" == "4.6e-02"
    assert [lr for _, lr in sched_log] == [0.5, 0.5, 0.5]  # warmup over before the first update


# --- DDP --------------------------------------------------------------------------------------
def test_ddp_with_accumulation_and_clipping_is_one_process(ranks):
    for key in ("ddp", "ddp_scaled"):
        for r in ranks:
            result = r[key]
            assert result["max_param_diff"] < 1e-15
            assert result["norms"][0][0] > 0.3  # clipped on the first step
            for ours, one in result["norms"]:
                assert ours == pytest.approx(one, abs=1e-14)
    assert [round(n, 6) for n, _ in ranks[0]["ddp"]["norms"]] == [0.649692, 0.286577, 0.216638]


def test_no_sync_keeps_gradients_local_until_the_last_backward(ranks):
    inside = [r["no_sync"]["inside"] for r in ranks]
    after = [r["no_sync"]["after"] for r in ranks]
    assert (inside[0] - inside[1]).abs().max() > 1e-3  # each process has only its own gradient
    torch.testing.assert_close(after[0], after[1], rtol=0, atol=0)  # all-reduced: identical
    local_sums = [r["no_sync"]["local_sum"] for r in ranks]
    torch.testing.assert_close(after[0], (local_sums[0] + local_sums[1]) / 2, rtol=0, atol=1e-15)


def test_an_overflow_on_one_process_skips_the_step_everywhere(ranks):
    for key in ("ddp_overflow", "fsdp_overflow"):
        assert [r[key] for r in ranks] == [{"stepped": False, "scale": 512.0}] * 2


# --- FSDP2 ------------------------------------------------------------------------------------
def test_fsdp_clip_grad_norm_is_the_global_norm(ranks):
    for key in ("fsdp", "fsdp_by_hand"):
        for r in ranks:
            assert r[key]["max_param_diff"] < 1e-15
            for ours, one in r[key]["norms"]:
                assert ours == pytest.approx(one, abs=1e-14)
    for r in ranks:
        assert r["norm_type"] == ("DTensor", "(Replicate(),)")
        assert r["grad_placements"] == {"(Shard(dim=0),)"}  # gradients split along dim 0


def test_shard_norms_combine_by_sum_of_squares(ranks):
    norms = [r["shards"] for r in ranks]
    local = [n["local_shard_norm"] for n in norms]
    assert [round(v, 3) for v in local] == [0.611, 0.221]
    for n in norms:
        assert n["global_norm"] == pytest.approx(n["unsharded_norm"], abs=1e-14)
        assert n["global_max"] == pytest.approx(n["unsharded_max"], abs=1e-15)
        assert math.hypot(*local) == pytest.approx(n["global_norm"], abs=1e-14)
        assert all(v < n["global_norm"] - 0.03 for v in local)


# --- BatchNorm --------------------------------------------------------------------------------
def test_sync_batch_norm_by_hand_is_batch_norm_over_the_global_batch(ranks):
    for r in ranks:
        bn = r["bn"]
        assert bn["local_vs_global"] > 1.0  # per-process statistics: a different output
        for key in ("synced_vs_global", "running_mean_diff", "running_var_diff", "input_grad_diff"):
            assert bn[key] < 1e-14, key
    assert [round(r["bn"]["local_vs_global"], 1) for r in ranks] == [1.1, 1.4]


def _ema(batches, momentum=0.1, start=None):
    mean = torch.zeros(3, dtype=torch.float64) if start is None else start.clone()
    for x in batches:
        mean = (1 - momentum) * mean + momentum * x.mean(0)
    return mean


def test_ddp_broadcasts_rank_0_buffers_before_each_forward(ranks):
    (mean0, batches0), (mean1, batches1) = ranks[0]["buffers_sync"], ranks[1]["buffers_sync"]
    torch.testing.assert_close(mean0, _ema(batches0))  # rank 0: its own data only
    # rank 1: rank 0's buffers from before the last forward, updated with rank 1's last batch
    torch.testing.assert_close(mean1, _ema(batches1[-1:], start=_ema(batches0[:-1])))
    (own0, b0), (own1, b1) = ranks[0]["buffers_local"], ranks[1]["buffers_local"]
    torch.testing.assert_close(own0, _ema(b0))
    torch.testing.assert_close(own1, _ema(b1))  # without the broadcast: each its own average
    assert (mean0 - mean1).abs().max() > 0.05


def test_broadcast_buffers_is_deprecated_for_forward_sync_buffers(ranks):
    for r in ranks:
        assert any(kind == "FutureWarning" and message.startswith(
            "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead.")
            for kind, message in r["deprecation"])


def test_sync_batchnorm_is_refused_on_the_cpu(ranks):
    for r in ranks:
        assert r["sync_bn_cpu"] == ("SyncBatchNorm", "SyncBatchNorm layers only work with GPU modules")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="SyncBatchNorm needs a GPU (CUDA not available)")
def test_real_sync_batchnorm_matches_the_hand_written_one(tmp_path):
    for r in run_two_processes(tmp_path, "cuda"):
        for key in ("output", "running_mean", "running_var", "input_grad"):
            assert r[key] < 1e-10, key


# --- large batches and precision --------------------------------------------------------------
def test_linear_scaling_and_warmup():
    assert large.scaled_lr(0.1, 256, 8192) == pytest.approx(3.2)
    assert large.warmup_steps(5, 1_281_167, 8192) == 785
    assert large.warmup_steps(5, 1_281_167, 256) == 25025
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    schedule = large.warmup_to_scaled_lr(optimizer, 0.1, 256, 8192, 1_281_167)
    lrs = []
    for _ in range(800):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert lrs[0] == pytest.approx(0.1) and lrs[785] == pytest.approx(3.2) and lrs[799] == pytest.approx(3.2)
    steps = torch.tensor(lrs[:786]).diff()
    assert torch.allclose(steps, steps[0], atol=1e-6)  # a constant amount per step


def test_float16_ranges_and_underflow():
    assert torch.finfo(torch.float16).max == 65504
    assert torch.finfo(torch.bfloat16).max == pytest.approx(3.39e38, rel=1e-3)
    assert torch.finfo(torch.bfloat16).smallest_normal == torch.finfo(torch.float32).smallest_normal
    fp16 = torch.finfo(torch.float16)
    assert fp16.smallest_normal == pytest.approx(6.1e-5, rel=1e-2)
    assert fp16.smallest_normal * fp16.eps == pytest.approx(5.96e-8, rel=1e-3)  # smallest positive
    assert torch.tensor(5.96e-8).half().item() > 0 and torch.tensor(2e-8).half().item() == 0
    g = torch.tensor(1e-8)
    assert g.half().item() == 0.0 and g.bfloat16().item() == pytest.approx(1e-8, rel=1e-2)
    assert (g * 2**16).half().item() == pytest.approx(6.55e-4, rel=1e-3)


def test_lars_and_lamb_are_not_in_torch_optim():
    names = {name.lower() for name in dir(torch.optim)}
    assert not names & {"lars", "lamb"}
    assert torch.__version__.startswith("2.13")


# --- exercises --------------------------------------------------------------------------------
def test_exercise_unequal_micro_batches():
    x, y = accum.make_data()
    micro = list(zip(x.split([12, 12, 8]), y.split([12, 12, 8])))
    big = ex_unequal.grad_after([(x, y)])
    assert (ex_unequal.grad_after(micro) - big).abs().max() < 1e-15
    assert f"{(ex_unequal.grad_after(micro, [1 / 3] * 3) - big).abs().max().item():.0e}" == "8e-02"


def test_exercise_uneven_shares_simulated_and_real(ranks):
    x, y = accum.make_data()
    shares = list(zip(x.split([20, 12]), y.split([20, 12])))
    model, _, _ = accum.make_run()
    nn.functional.mse_loss(model(x), y).backward()
    big = _grad(model)
    assert (ex_ranks.ddp_average(shares, weighted=False) - big).abs().max() > 0.05
    assert (ex_ranks.ddp_average(shares, weighted=True) - big).abs().max() < 1e-15
    for r in ranks:  # real DDP with 20 and 12 examples
        torch.testing.assert_close(r["uneven"], big, rtol=0, atol=1e-15)


def test_exercise_global_batch_and_loss_scale(capsys):
    import runpy

    for name, expected in [("dist_ex_global_batch.py", "global batch 1024: lr 0.40, warmup 6260 optimizer steps "
                                                       "= 25040 micro-batches per process"),
                           ("dist_ex_loss_scale.py", "scale >= 2**13 to keep 1e-8, scale <= 2**12 to keep 10: "
                                                     "no single scale")]:
        runpy.run_path(str(ROOT / "snippets" / "distributed" / name), run_name="__main__")
        assert expected in capsys.readouterr().out


# --- the rank program ---------------------------------------------------------------------------
def _cpu_checks():
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    ddp = load_snippet("distributed/dist_ddp_clip.py")
    fsdp = load_snippet("distributed/dist_fsdp_clip.py")
    bn = load_snippet("distributed/dist_sync_bn.py")
    rank, world = dist.get_rank(), dist.get_world_size()
    out = {"ddp": ddp.compare(), "ddp_scaled": ddp.compare(scaled=True),
           "ddp_overflow": ddp.overflow_on_one_process()}
    # no_sync: the first backward stays local, the second all-reduces the accumulated sum
    model = DDP(ddp.make_model())
    x, y = ddp.make_batch()
    (x1, x2), (y1, y2) = x.chunk(world)[rank].chunk(2), y.chunk(world)[rank].chunk(2)
    with model.no_sync():
        nn.functional.mse_loss(model(x1), y1).backward()
    inside = _grad(model).clone()
    local = ddp.make_model()
    for xs, ys in ((x1, y1), (x2, y2)):
        nn.functional.mse_loss(local(xs), ys).backward()
    nn.functional.mse_loss(model(x2), y2).backward()
    out["no_sync"] = {"inside": inside, "after": _grad(model).clone(), "local_sum": _grad(local)}
    out["fsdp"], out["fsdp_by_hand"] = fsdp.compare(), fsdp.compare(by_hand=True)
    out["shards"], out["fsdp_overflow"] = fsdp.shard_norms(), fsdp.overflow_in_one_shard()
    sharded = fsdp.make_sharded_model()
    nn.functional.mse_loss(sharded(x), y).backward()
    norm = nn.utils.clip_grad_norm_(sharded.parameters(), 1.0)
    out["norm_type"] = (type(norm).__name__, str(norm.placements))
    out["grad_placements"] = {str(p.grad.placements) for p in sharded.parameters()}
    out["bn"] = bn.compare()
    out["buffers_sync"] = bn.running_means_under_ddp(True)
    out["buffers_local"] = bn.running_means_under_ddp(False)
    out["sync_bn_cpu"] = bn.sync_bn_on_cpu()
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DDP(ddp.make_model(), broadcast_buffers=True)
    out["deprecation"] = [(w.category.__name__, str(w.message)) for w in caught]
    # exercise: 20 and 12 examples, local loss weighted by rank_loss_weight
    model = DDP(accum.make_run()[0])
    xa, ya = accum.make_data()
    mine = (xa.split([20, 12])[rank], ya.split([20, 12])[rank])
    weight = ex_ranks.rank_loss_weight(len(mine[0]), len(xa), world)
    (nn.functional.mse_loss(model(mine[0]), mine[1]) * weight).backward()
    out["uneven"] = _grad(model)
    return out


def _cuda_checks():
    """Real SyncBatchNorm on CUDA against the hand-written one (nccl with 2 GPUs, else gloo on one)."""
    import torch.distributed as dist

    bn = load_snippet("distributed/dist_sync_bn.py")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device("cuda", rank % torch.cuda.device_count())
    torch.cuda.set_device(device)
    x = bn.make_batch()
    mine = x.chunk(world)[rank]
    probe = torch.linspace(-1, 1, mine.numel(), dtype=x.dtype).reshape(mine.shape)
    real = nn.SyncBatchNorm(x.shape[1]).double().to(device)
    ours = nn.BatchNorm1d(x.shape[1]).double()
    a = mine.to(device).requires_grad_()
    b = mine.clone().requires_grad_()
    out_real, out_ours = real(a), bn.sync_batch_norm(b, ours)
    (out_real * probe.to(device)).sum().backward()
    (out_ours * probe).sum().backward()
    return {"output": (out_real.cpu() - out_ours).abs().max().item(),
            "running_mean": (real.running_mean.cpu() - ours.running_mean).abs().max().item(),
            "running_var": (real.running_var.cpu() - ours.running_var).abs().max().item(),
            "input_grad": (a.grad.cpu() - b.grad).abs().max().item()}


if __name__ == "__main__":
    import torch.distributed as dist

    torch.set_num_threads(1)
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "cuda":
        # the hand-written BN all-reduces CPU tensors, so gloo; nccl would need them on the GPU
        dist.init_process_group("gloo")
        result = _cuda_checks()
    else:
        dist.init_process_group("gloo")
        result = _cpu_checks()
    results = [None] * dist.get_world_size()
    dist.all_gather_object(results, result)
    if dist.get_rank() == 0:
        torch.save(results, path)
    dist.destroy_process_group()
