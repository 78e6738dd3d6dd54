"""Claims of the CNN recipe page about data-parallel training under torchrun, on 2 CPU processes.

The runs are real: ``python -m torch.distributed.run --standalone --nproc-per-node 2 cnn_train.py``
(torchrun's own module), gloo between the processes, each on one thread.
"""
import os
import re
import subprocess
import sys

import pytest
import torch

from tests.support import SNIPPETS, load_snippet, read_metrics

data = load_snippet("cnn_recipe/cnn_data.py")
train_mod = load_snippet("cnn_recipe/cnn_train.py")

RECIPE = SNIPPETS / "cnn_recipe"
QUIET = ["--progress", "off"]


def torchrun(*argv, nproc=2):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc-per-node", str(nproc), "cnn_train.py", *map(str, argv)],
                          cwd=RECIPE, capture_output=True, text=True, timeout=240, env=env)


def recipe_lines(text):
    """The recipe's own output lines (torchrun adds banners and, on failure, a report)."""
    return [line for line in text.splitlines()
            if line.startswith(("device ", "epoch ", "done:", "resuming ", "cnn_train.py: error:"))]


def root_cause(report):
    """(rank, exit code) of the failure torchrun's report names as the root cause."""
    cause = report.split("Root Cause", 1)[1]
    return (int(re.search(r"rank\s*: (\d+)", cause)[1]),
            int(re.search(r"exitcode\s*: (-?\d+)", cause)[1]))


# --- the data: process r's share of each batch ------------------------------------------------

@pytest.mark.parametrize("world_size", [2, 3])
def test_the_shares_of_a_batch_are_the_single_process_batch(world_size):
    """Same images, same labels, same crops and flips, in the same order: the global batch."""
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (100, 3, 8, 8), dtype=torch.uint8, generator=gen)
    labels = torch.arange(100) % 10
    common = dict(device="cpu", mean=[0.5] * 3, std=[0.25] * 3, train=True, padding=2, flip=True,
                  seed=3)
    one = data.DeviceLoader(images, labels, 12, **common)
    shares = [data.DeviceLoader(images, labels, 12, rank=r, world_size=world_size, **common)
              for r in range(world_size)]
    for epoch in (1, 2):
        for loader in [one, *shares]:
            loader.set_epoch(epoch)
        batches = list(zip(one, *shares))
        assert len(batches) == len(one) == 8  # 100 // 12: the last partial batch is dropped
        for (x, y), *parts in batches:
            assert all(len(py) == 12 // world_size for _, py in parts)
            torch.testing.assert_close(torch.cat([px for px, _ in parts]), x, rtol=0, atol=0)
            assert torch.equal(torch.cat([py for _, py in parts]), y)


# --- a 2-process run against a 1-process run with the same global batch ------------------------

@pytest.fixture(scope="module")
def two_and_one(tmp_path_factory):
    folder = tmp_path_factory.mktemp("torchrun")
    two = torchrun("--out-dir", folder / "two", *QUIET)
    one = train_mod.run(["--out-dir", str(folder / "one"), *QUIET])
    return folder, two, one


def test_two_processes_train_with_rank_0_alone_printing_and_writing(two_and_one):
    folder, two, _ = two_and_one
    assert two.returncode == 0, two.stderr[-2000:]
    lines = recipe_lines(two.stdout)
    assert lines[0].startswith("device cpu (x 2 processes)")
    assert [line.split()[1] for line in lines[1:-1]] == ["1/4", "2/4", "3/4", "4/4"]  # once each
    assert lines[-1].startswith("done: ")
    steps = read_metrics(folder / "two", "step")
    assert [r["step"] for r in steps] == list(range(1, 73))  # one writer, 1212 // 64 = 18 a epoch
    assert sorted(p.name for p in (folder / "two").iterdir()) == ["best.pt", "last.pt",
                                                                  "metrics.jsonl"]


def test_two_processes_follow_the_one_process_run_closely(two_and_one):
    """Same global batch, same data and schedule; not bit-equal, because each process's BN
    normalizes over its own 32 images, not over all 64, so the losses part slowly."""
    folder, _, one = two_and_one
    a, b = read_metrics(folder / "one", "step"), read_metrics(folder / "two", "step")
    assert [r["lr"] for r in a] == [r["lr"] for r in b]
    first = abs(a[0]["loss"] - b[0]["loss"]) / a[0]["loss"]
    print(f"\nstep 1 loss: 1 process {a[0]['loss']:.4f}, 2 processes {b[0]['loss']:.4f} "
          f"({100 * first:.2f}% apart)")
    assert 0 < first < 0.01
    assert abs(a[0]["grad_norm"] - b[0]["grad_norm"]) / a[0]["grad_norm"] < 0.01
    final = read_metrics(folder / "two", "final")[0]
    print(f"test accuracy: 1 process {100 * one['test_acc']:.2f}%, "
          f"2 processes {100 * final['test_acc']:.2f}%")
    assert min(one["val_acc"], final["val_acc"]) >= 0.95
    assert abs(one["test_acc"] - final["test_acc"]) <= 0.02


# --- divergence and resume with another number of processes -----------------------------------

def test_divergence_stops_every_process_and_one_process_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    stopped = torchrun("--out-dir", out, "--epochs", "2", "--debug-inject-nan-at-step", "25",
                       *QUIET)
    assert stopped.returncode != 0  # torchrun reports the processes' exit code 3 and exits 1
    errors = [line for line in recipe_lines(stopped.stderr) if "error" in line]
    assert errors == [f"cnn_train.py: error: loss became nan at step 25 (epoch 2); the last good "
                      f"checkpoint is {out}/last.pt (end of epoch 1). Continue with --resume and "
                      f"a lower rate, e.g. --lr 0.01 (or a lower --max-grad-norm)"]
    assert root_cause(stopped.stderr) == (0, 3)  # rank 0 failed first, having said why
    code = train_mod.main(["--out-dir", str(out), "--epochs", "2", "--resume", "--lr", "0.01",
                           *QUIET])
    assert code == 0
    assert "resuming after epoch 1 (step 18), --lr 0.02 -> 0.01" in capsys.readouterr().out
    kinds = [r["kind"] for r in read_metrics(out)]
    assert [k for k in kinds if k not in ("step", "epoch")] == ["diverged", "resume", "final"]
    assert [r["step"] for r in read_metrics(out, "step")] == list(range(1, 37))


# --- bad combinations: exit 2, one line ---------------------------------------------------------

@pytest.mark.parametrize("argv, words", [
    (["--batch-size", "63"], "--batch-size 63 is the global batch and must split evenly among "
                             "the 2 processes"),
    (["--device", "cpu:0"], "--device cpu:0 names one device for all 2 processes"),
    (["--dataset", "cifar10", "--download", "--data-dir", "{tmp}"],
     "--download under torchrun: download once with a single process first"),
])
def test_bad_combination_for_two_processes_exits_2_with_one_line(argv, words, tmp_path,
                                                                   monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun sets it, for rank 0
    monkeypatch.setenv("RANK", "0")
    code = train_mod.main([a.format(tmp=tmp_path) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err, err


def test_a_bad_combination_under_torchrun_is_said_once(tmp_path):
    result = torchrun("--batch-size", "63", "--out-dir", tmp_path)
    assert result.returncode != 0
    assert recipe_lines(result.stdout + result.stderr) == [
        "cnn_train.py: error: --batch-size 63 is the global batch and must split evenly among "
        "the 2 processes"]
    # rank 1 waits for rank 0 to speak: had it exited first, torchrun would stop rank 0 unheard
    assert root_cause(result.stderr) == (0, 2)
    assert not (tmp_path / "metrics.jsonl").exists()  # nothing started


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="SyncBatchNorm needs a GPU: on CPUs the recipe refuses --sync-bn "
                           "(tested in test_cnn_recipe.py)")
def test_sync_bn_trains_on_a_gpu(tmp_path):
    result = train_mod.run(["--sync-bn", "--device", "cuda", "--epochs", "2", "--out-dir",
                            str(tmp_path), *QUIET])
    assert any(isinstance(m, torch.nn.SyncBatchNorm) for m in result["model"].modules())
    assert result["val_acc"] > 0.8
