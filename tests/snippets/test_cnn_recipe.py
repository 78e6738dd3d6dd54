"""Claims of the CNN recipe page: accuracy, validation, exact resume, recovery after divergence,
CIFAR reader, clipping under the scaler, one-line failures, schedule and weight-decay groups."""
import ast
import collections
import contextlib
import copy
import hashlib
import io
import math
import os
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import cifar_format
from tests.support import SNIPPETS, load_snippet, read_metrics

models = load_snippet("cnn_recipe/cnn_models.py")
data = load_snippet("cnn_recipe/cnn_data.py")
optim = load_snippet("cnn_recipe/cnn_optim.py")
train_mod = load_snippet("cnn_recipe/cnn_train.py")
ckpt = load_snippet("cnn_recipe/cnn_checkpoint.py")

SCRIPT = SNIPPETS / "cnn_recipe" / "cnn_train.py"
# A tiny run: 256 digits at 12x12; 26 held out for validation, 230 left: 7 steps of 32 per epoch.
TINY = ["--image-size", "12", "--limit-images", "256", "--batch-size", "32", "--epochs", "3",
        "--log-every", "3", "--progress", "off"]
TINY_STEPS_PER_EPOCH = 7


def run_in_process(argv, on_step=None):
    return train_mod.run(argv, on_step=on_step)


def interrupt_at(step_to_stop):
    def on_step(step):
        if step == step_to_stop:
            raise KeyboardInterrupt
    return on_step


def run_main(argv, capsys):
    """The command line in this process: (exit code, stdout, stderr)."""
    code = train_mod.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(*argv):
    # same intra-op thread count as this process: float sums, hence weights, depend on it
    env = dict(os.environ, OMP_NUM_THREADS=str(torch.get_num_threads()))
    return subprocess.run([sys.executable, str(SCRIPT), *argv], capture_output=True, text=True,
                          timeout=120, env=env)


# --- accuracy -----------------------------------------------------------------------------------

def test_default_recipe_reaches_95_percent_on_digits_and_rarely_clips(tmp_path):
    """Claims: >= 95% test accuracy; validation every epoch, the test set once; the default
    threshold clips under 10% of steps (the clipping chapter's rule: a high percentile)."""
    start = time.perf_counter()
    result = run_in_process(["--out-dir", str(tmp_path), "--progress", "off"])
    seconds = time.perf_counter() - start
    steps = read_metrics(tmp_path, "step")
    threshold = train_mod.build_parser().get_default("max_grad_norm")
    clipped = sum(r["grad_norm"] > threshold for r in steps) / len(steps)
    print(f"\ndigits, default recipe: test accuracy {100 * result['test_acc']:.2f}% "
          f"(best validation epoch {result['best_epoch']}) after {result['steps']} steps in "
          f"{seconds:.1f} s; clipped {100 * clipped:.1f}% of steps at {threshold:g}")
    assert result["test_acc"] >= 0.95
    assert clipped < 0.10
    epochs = read_metrics(tmp_path, "epoch")
    assert [r["epoch"] for r in epochs] == [1, 2, 3, 4]  # validated every epoch
    assert not any("test_acc" in r for r in epochs)
    assert [r["test_acc"] for r in read_metrics(tmp_path, "final")] == [result["test_acc"]]


def test_resnet_option_learns_digits(tmp_path):
    result = run_in_process(["--model", "resnet", "--image-size", "16", "--out-dir", str(tmp_path),
                             "--progress", "off"])
    print(f"\ndigits at 16x16, resnet: test accuracy {100 * result['test_acc']:.2f}%")
    assert result["test_acc"] >= 0.9


# --- checkpoints and resume ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """One uninterrupted tiny run, and the same run interrupted mid-epoch 2 then resumed."""
    root = tmp_path_factory.mktemp("tiny")
    full, split = root / "full", root / "split"
    reference = run_in_process(TINY + ["--out-dir", str(full)])
    with pytest.raises(KeyboardInterrupt):  # stop in the middle of epoch 2
        run_in_process(TINY + ["--out-dir", str(split)],
                       on_step=interrupt_at(TINY_STEPS_PER_EPOCH + 3))
    at_interrupt = torch.load(split / "last.pt", weights_only=True)
    resumed = run_in_process(TINY + ["--out-dir", str(split), "--resume"])
    return {"full": full, "split": split, "reference": reference, "resumed": resumed,
            "at_interrupt": at_interrupt}


def test_interrupted_and_resumed_run_equals_uninterrupted(tiny_runs):
    saved = tiny_runs["at_interrupt"]
    assert (saved["epoch"], saved["step"]) == (1, TINY_STEPS_PER_EPOCH)  # last finished epoch
    a = tiny_runs["reference"]["model"].state_dict()
    b = tiny_runs["resumed"]["model"].state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)  # bit-identical, BN running stats included
    opt_a = torch.load(tiny_runs["full"] / "last.pt", weights_only=True)["optimizer"]["state"]
    opt_b = torch.load(tiny_runs["split"] / "last.pt", weights_only=True)["optimizer"]["state"]
    assert all(torch.equal(opt_a[i]["momentum_buffer"], opt_b[i]["momentum_buffer"]) for i in opt_a)
    # the resumed log has each step exactly once, with the same values
    steps = [[r for r in read_metrics(tiny_runs[d]) if r["kind"] == "step"]
             for d in ("full", "split")]
    assert steps[0] == steps[1]
    assert [r["step"] for r in steps[0]] == list(range(1, 3 * TINY_STEPS_PER_EPOCH + 1))


def test_checkpoint_holds_everything_to_resume(tiny_runs):
    state = tiny_runs["at_interrupt"]
    assert {"model", "optimizer", "scheduler", "scaler", "rng_cpu", "epoch", "step"} <= set(state)
    assert state["scheduler"]["last_epoch"] == state["step"] == TINY_STEPS_PER_EPOCH


def test_metrics_log_steps_and_epochs(tiny_runs):
    records = read_metrics(tiny_runs["full"])
    steps = [r for r in records if r["kind"] == "step"]
    assert all({"loss", "lr", "grad_norm"} <= set(r) for r in steps)
    total, warmup = 3 * TINY_STEPS_PER_EPOCH, TINY_STEPS_PER_EPOCH
    lr = train_mod.build_parser().get_default("lr")
    expected = [lr * optim.warmup_cosine_factor(r["step"] - 1, warmup, total) for r in steps]
    assert np.allclose([r["lr"] for r in steps], expected, rtol=1e-12)
    epochs = [r for r in records if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2, 3]
    assert all(0.0 <= r["val_acc"] <= 1.0 and r["images_per_s"] > 0 for r in epochs)
    threshold = train_mod.build_parser().get_default("max_grad_norm")
    for r in epochs:
        norms = [s["grad_norm"] for s in steps if s["epoch"] == r["epoch"]]
        assert r["clipped"] == sum(n > threshold for n in norms) / len(norms)


def test_checkpoint_selection_is_by_validation_and_the_test_set_is_used_once(tiny_runs):
    epochs = read_metrics(tiny_runs["full"], "epoch")
    (final,) = read_metrics(tiny_runs["full"], "final")
    best = max(epochs, key=lambda r: (r["val_acc"], -r["val_loss"]))
    assert final["best_epoch"] == best["epoch"] and final["val_acc"] == best["val_acc"]
    saved = torch.load(tiny_runs["full"] / "best.pt", weights_only=True)
    assert saved["epoch"] == best["epoch"]
    # the final test accuracy is that of the best.pt weights, evaluated independently here
    parser = train_mod.build_parser()
    args = parser.parse_args(TINY + ["--out-dir", str(tiny_runs["full"])])
    train_mod.check_args(args)
    train, _, (x_test, y_test) = train_mod.load_data(args)
    net = models.build_model("convbn", image_size=12)
    net.load_state_dict(saved["model"])
    net.eval()
    mean, std = data.channel_stats(train[0])
    x = (x_test.float() / 255 - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    with torch.no_grad():
        acc = (net(x).argmax(1) == y_test).float().mean().item()
    assert acc == pytest.approx(final["test_acc"], abs=1e-9)


def test_validation_split_is_stratified_seeded_and_disjoint():
    (x, y), _ = data.load_digits_images(image_size=12)
    (xt, yt), (xv, yv) = data.split_validation(x, y, 0.2, seed=3)
    assert len(yv) == 270 and len(yt) == len(y) - 270
    share = torch.bincount(yv, minlength=10) / torch.bincount(y, minlength=10)
    assert (share - 0.2).abs().max() < 0.02  # every class keeps its proportion
    (it, _), (iv, _) = data.split_validation(torch.arange(len(y)), y, 0.2, seed=3)
    assert set(it.tolist()).isdisjoint(iv.tolist()) and len(it) + len(iv) == len(y)
    again = data.split_validation(x, y, 0.2, seed=3)[1][1]
    other = data.split_validation(x, y, 0.2, seed=4)[1][1]
    assert torch.equal(again, yv) and not torch.equal(other, yv)
    with pytest.raises(data.DataError, match="too few"):
        data.split_validation(x[:10], y[:10], 0.1)


def test_the_test_set_does_not_depend_on_the_seed():
    splits = []
    for seed in ("0", "7"):
        args = train_mod.build_parser().parse_args(["--seed", seed, "--image-size", "12"])
        train_mod.check_args(args)
        splits.append(train_mod.load_data(args))
    assert torch.equal(splits[0][2][0], splits[1][2][0])  # same test images
    assert not torch.equal(splits[0][1][1], splits[1][1][1])  # another validation draw


# --- data ---------------------------------------------------------------------------------------

def write_cifar_like(folder, sizes):
    """Batch files in CIFAR-10's python format; pixel (n, c, i, j) is a known function."""
    folder.mkdir(parents=True)
    expected = {}
    for offset, (name, n) in enumerate(sizes.items()):
        n_idx, c, i, j = np.meshgrid(np.arange(n), np.arange(3), np.arange(32), np.arange(32),
                                     indexing="ij")
        images = ((n_idx * 7 + c * 50 + i * 3 + j + offset * 11) % 256).astype(np.uint8)
        labels = [(k + offset) % 10 for k in range(n)]
        cifar_format.write_batch(folder / name, images, labels)
        expected[name] = (images, labels)
    return expected


def test_cifar_reader_on_files_in_the_real_format(tmp_path):
    sizes = {**{f"data_batch_{i}": 30 for i in range(1, 6)}, "test_batch": 4}
    expected = write_cifar_like(tmp_path / "cifar-10-batches-py", sizes)
    (x_train, y_train), (x_test, y_test) = data.load_cifar10(tmp_path)  # finds the subfolder
    assert x_train.shape == (150, 3, 32, 32) and x_train.dtype == torch.uint8
    assert x_test.shape == (4, 3, 32, 32)
    want = np.concatenate([expected[f"data_batch_{i}"][0] for i in range(1, 6)])
    assert np.array_equal(x_train.numpy(), want)
    assert y_train.tolist() == sum((expected[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert np.array_equal(x_test.numpy(), expected["test_batch"][0])
    assert y_test.tolist() == expected["test_batch"][1]
    # and the command line trains on it
    result = run_in_process(["--dataset", "cifar10", "--data-dir", str(tmp_path), "--epochs", "1",
                             "--batch-size", "45", "--out-dir", str(tmp_path / "run"),
                             "--progress", "off"])
    assert result["steps"] == 3  # 150 images, 15 held out: 3 batches of 45


def test_download_checks_md5_and_unpacks(tmp_path):
    src = tmp_path / "src"
    write_cifar_like(src / "cifar-10-batches-py",
                     {**{f"data_batch_{i}": 1 for i in range(1, 6)}, "test_batch": 1})
    archive = tmp_path / "fake.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="MD5"):
        data.download_cifar10(tmp_path / "bad", url=archive.as_uri(), md5="0" * 32)
    assert not (tmp_path / "bad" / "cifar-10-python.tar.gz").exists()  # bad file removed
    data.download_cifar10(tmp_path / "good", url=archive.as_uri(), md5=md5)
    assert data.find_cifar_dir(tmp_path / "good") is not None


def test_failed_download_exits_1_with_a_message(tmp_path, monkeypatch, capsys):
    def no_network(data_dir):
        raise OSError("no route to host")
    monkeypatch.setattr(train_mod, "download_cifar10", no_network)
    code = train_mod.main(["--dataset", "cifar10", "--download", "--data-dir", str(tmp_path)])
    assert code == 1 and "download failed: no route to host" in capsys.readouterr().err


def test_device_loader_crops_windows_and_keeps_labels():
    torch.manual_seed(0)
    images = torch.randint(0, 256, (10, 3, 8, 8), dtype=torch.uint8)
    labels = torch.arange(10)
    loader = data.DeviceLoader(images, labels, 5, "cpu", [0.0] * 3, [1.0] * 3, train=True,
                               padding=2, flip=False, channels_last=True)
    seen = []
    for x, y in loader:
        assert x.is_contiguous(memory_format=torch.channels_last)
        for img, label in zip(x, y):
            padded = torch.nn.functional.pad(images[label].float() / 255, (2, 2, 2, 2))
            windows = [padded[:, i:i + 8, j:j + 8] for i in range(5) for j in range(5)]
            assert any(torch.equal(img, w) for w in windows)  # a shifted copy of its own image
            seen.append(int(label))
    assert sorted(seen) == list(range(10))  # each image once per epoch
    first = [y.tolist() for _, y in loader]
    loader.set_epoch(1)
    assert [y.tolist() for _, y in loader] != first  # a new order each epoch


def test_digits_are_upsampled_rgb_images():
    (x_train, y_train), (x_test, y_test) = data.load_digits_images(image_size=32)
    assert x_train.shape[1:] == (3, 32, 32) and x_train.dtype == torch.uint8
    assert (len(x_train), len(x_test)) == (1347, 450)  # all 1797 images, a quarter for testing
    per_class = torch.bincount(torch.cat([y_train, y_test]))
    assert (torch.bincount(y_test) - per_class / 4).abs().max() <= 1  # stratified split
    assert torch.equal(x_train[:, 0], x_train[:, 2])  # grey repeated on 3 channels


# --- model and optimizer ------------------------------------------------------------------------

def test_convbn_fits_32x32_and_the_article_size_does_not():
    net = models.ConvBNNet()
    assert net.classifier.in_features == 128 * 6 * 6
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    features = net.features(torch.randn(2, 3, 32, 32))
    with pytest.raises(RuntimeError):
        torch.nn.Linear(128 * 5 * 5, 10)(torch.flatten(features, 1))
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.bias is None for c in convs)  # BN follows each conv


def test_flops_per_image_matches_hand_count():
    conv1 = 2 * (3 * 9) * 64 * 30 * 30
    conv2 = 2 * (64 * 9) * 128 * 13 * 13
    linear = 2 * 128 * 6 * 6 * 10
    net = models.ConvBNNet()
    assert models.flops_per_image(net) == conv1 + conv2 + linear
    # backward: weight and input gradients of every layer, except the first conv's input gradient
    assert models.train_flops_per_image(net) == 3 * (conv1 + conv2 + linear) - conv1
    assert models.flops_per_image(models.ResNetSmall()) > models.flops_per_image(net)


def test_parameter_counts_match_hand_count():
    convbn = 3 * 9 * 64 + 2 * 64 + 64 * 9 * 128 + 2 * 128 + 128 * 6 * 6 * 10 + 10

    def block(c_in, c_out):
        shortcut = 0 if c_in == c_out else c_in * c_out + 2 * c_out
        return 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out + shortcut
    resnet = 3 * 9 * 32 + 2 * 32 + block(32, 32) + block(32, 64) + block(64, 128) + 128 * 10 + 10
    for net, expected in ((models.ConvBNNet(), convbn), (models.ResNetSmall(), resnet)):
        assert sum(p.numel() for p in net.parameters()) == expected


def test_no_weight_decay_on_bn_and_biases():
    net = models.ResNetSmall()
    decay, no_decay = optim.param_groups(net, 5e-4)
    assert decay["weight_decay"] == 5e-4 and no_decay["weight_decay"] == 0.0
    ids = {id(p) for p in no_decay["params"]}
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            assert id(module.weight) in ids and id(module.bias) in ids
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            assert id(module.weight) not in ids
            assert module.bias is None or id(module.bias) in ids
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(net.parameters()))


def test_schedule_equals_pytorch_warmup_then_cosine():
    warmup, total, lr = 7, 40, 0.3
    ours = optim.make_scheduler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr),
                                warmup, total)
    ref_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    ref = torch.optim.lr_scheduler.SequentialLR(ref_opt, [
        torch.optim.lr_scheduler.LinearLR(ref_opt, start_factor=0.1, total_iters=warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=total - warmup)],
        milestones=[warmup])
    for _ in range(total):
        assert ours.get_last_lr()[0] == pytest.approx(ref.get_last_lr()[0], rel=1e-12, abs=1e-15)
        ours.optimizer.step()
        ref_opt.step()
        ours.step()
        ref.step()


def test_amp_choice():
    cpu = torch.device("cpu")
    assert optim.pick_device("auto") == cpu  # this machine has no GPU
    assert optim.pick_amp_dtype(cpu) is None  # fp32 on CPU by default
    assert not optim.make_scaler(cpu, torch.bfloat16).is_enabled()  # bf16 needs no scaler
    assert optim.make_scaler(cpu, torch.float16).is_enabled()


def test_amp_on_cuda_prefers_native_bf16_else_fp16(monkeypatch):
    cuda = torch.device("cuda")
    # a GPU with bf16 tensor cores
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert optim.pick_amp_dtype(cuda) == torch.bfloat16
    # a GPU that only emulates bf16 (e.g. a T4): supported with emulation, not natively
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    assert optim.pick_amp_dtype(cuda) == torch.float16


def test_clipping_acts_on_unscaled_gradients_under_the_scaler():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 6 * 6, 10))
    ref, wrong = copy.deepcopy(net), copy.deepcopy(net)
    x, y = torch.randn(8, 3, 8, 8), torch.randint(0, 10, (8,))
    max_norm = 0.05  # below the true norm, so clipping acts

    # reference: plain fp32 backward, clip, SGD step
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.5)
    torch.nn.functional.cross_entropy(ref(x), y).backward()
    true_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm)
    ref_opt.step()
    assert true_norm > 10 * max_norm

    scale = 2.0 ** 12
    scaler = torch.amp.GradScaler("cpu", init_scale=scale)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    _, norm = optim.train_step(net, x, y, opt, scaler, None, max_norm)
    assert norm.item() == pytest.approx(true_norm.item(), rel=1e-5)  # not scale x true norm
    for p, q in zip(net.parameters(), ref.parameters()):
        assert torch.allclose(p, q, atol=1e-6)

    # the mistake it avoids: clipping before unscale_ sees gradients times the scale
    scaler2 = torch.amp.GradScaler("cpu", init_scale=scale)
    scaler2.scale(torch.nn.functional.cross_entropy(wrong(x), y)).backward()
    wrong_norm = torch.nn.utils.clip_grad_norm_(wrong.parameters(), max_norm)
    assert wrong_norm.item() == pytest.approx(scale * true_norm.item(), rel=1e-5)


# --- bad input: one line, exit 2, never a traceback -----------------------------------------------

@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, tiny_runs):
    """Files and folders a user may point the recipe at by mistake."""
    root = tmp_path_factory.mktemp("bad")
    (root / "a_file").write_text("not a folder")
    good = {**{f"data_batch_{i}": 30 for i in range(1, 6)}, "test_batch": 10}
    for name in ("truncated", "reshaped", "labels"):
        write_cifar_like(root / name, good)
    blob = (root / "truncated" / "data_batch_3").read_bytes()
    (root / "truncated" / "data_batch_3").write_bytes(blob[:len(blob) // 2])
    cifar_format.write_batch(root / "reshaped" / "data_batch_2",
                             np.zeros((4, 3000), np.uint8), [0] * 4)  # rows too short
    cifar_format.write_batch(root / "labels" / "test_batch", np.zeros((4, 3, 32, 32), np.uint8),
                             [0, 1, 2, 11])
    (root / "garbage").mkdir()
    (root / "garbage" / "last.pt").write_bytes(b"\x00not a checkpoint")
    (root / "foreign").mkdir()
    torch.save({"weights": torch.zeros(2)}, root / "foreign" / "last.pt")
    return {"tmp": root, "finished": tiny_runs["full"]}


# (arguments, words the one-line message must contain); {tmp} and {finished} are filled in
BAD_INVOCATIONS = [
    (["--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--batch-size", "5000"], "--batch-size 5000 is more than the 1212 training images"),
    (["--limit-images", "10"], "10 training images are too few"),
    (["--limit-images", "-5"], "--limit-images must be >= 0"),
    (["--lr", "fast"], "argument --lr: invalid float value: 'fast'"),
    (["--lr", "0"], "--lr must be a positive finite number, got 0.0"),
    (["--lr", "-0.1"], "--lr must be a positive finite number"),
    (["--lr", "inf"], "--lr must be a positive finite number, got inf"),
    (["--lr", "nan"], "--lr must be a positive finite number, got nan"),
    (["--momentum", "1.5"], "--momentum must be in [0, 1), got 1.5"),
    (["--momentum", "1"], "--momentum must be in [0, 1)"),
    (["--momentum", "-0.1"], "--momentum must be in [0, 1)"),
    (["--momentum", "0"], "--nesterov needs --momentum > 0 (or pass --no-nesterov)"),
    (["--weight-decay", "-1"], "--weight-decay must be a finite number >= 0"),
    (["--warmup-epochs", "5"], "--warmup-epochs 5 is longer than the run (--epochs 4)"),
    (["--warmup-epochs", "nan"], "--warmup-epochs must be a finite number >= 0"),
    (["--max-grad-norm", "-1"], "--max-grad-norm must be a finite number >= 0"),
    (["--max-grad-norm", "inf"], "--max-grad-norm must be a finite number >= 0, got inf"),
    (["--val-fraction", "0"], "--val-fraction must be between 0 and 1"),
    (["--val-fraction", "1"], "--val-fraction must be between 0 and 1"),
    (["--val-fraction", "0.001"], "1347 training images are too few to hold out 0.001"),
    (["--model", "vgg"], "argument --model: invalid choice: 'vgg'"),
    (["--image-size", "8"], "--model convbn needs --image-size >= 10"),
    (["--crop-padding", "-1"], "--crop-padding must be >= 0"),
    (["--log-every", "0"], "--log-every must be at least 1"),
    (["--debug-inject-nan-at-step", "-2"], "--debug-inject-nan-at-step must be >= 0"),
    (["--device", "cuda"], "--device cuda is not usable here"),
    (["--device", "tpu9"], "--device tpu9 is not usable here"),
    (["--sync-bn", "--device", "cpu"], "--sync-bn needs GPUs (SyncBatchNorm refuses cpu modules)"),
    (["--epochs", "2", "--unknown-flag"], "unrecognized arguments: --unknown-flag"),
    (["--data-dir", "{tmp}"], "--data-dir and --download are for --dataset cifar10"),
    (["--download"], "--data-dir and --download are for --dataset cifar10"),
    (["--dataset", "cifar10", "--data-dir", "/no/such/dir"], "no CIFAR-10 python batches"),
    (["--dataset", "cifar10", "--data-dir", "{tmp}/a_file"], "is a file, not a folder"),
    (["--dataset", "cifar10", "--data-dir", "{tmp}/truncated", "--image-size", "28"],
     "--image-size applies to digits only"),
    (["--dataset", "cifar10", "--data-dir", "{tmp}/truncated"],
     "truncated/data_batch_3 is not a CIFAR-10 python batch"),
    (["--dataset", "cifar10", "--data-dir", "{tmp}/reshaped"],
     "reshaped/data_batch_2 is not a CIFAR-10 python batch (ValueError"),
    (["--dataset", "cifar10", "--data-dir", "{tmp}/labels"], "4 images but 4 labels in 0..9"),
    (["--out-dir", "{tmp}/a_file"], "--out-dir {tmp}/a_file is a file, not a folder"),
    (["--out-dir", "{tmp}/a_file/run"], "cannot write to --out-dir {tmp}/a_file/run"),
    (["--out-dir", "/proc/cnn-run"], "cannot write to --out-dir /proc/cnn-run"),
    (["--resume", "--out-dir", "{tmp}/nothing-here"], "--resume: no checkpoint at"),
    (["--resume", "--out-dir", "{tmp}/garbage"], "garbage/last.pt is not a readable checkpoint"),
    (["--resume", "--out-dir", "{tmp}/foreign"], "is not a checkpoint of this program (no model"),
    (TINY + ["--resume", "--out-dir", "{finished}", "--batch-size", "16"],
     "--resume with different settings: --batch-size 32 -> 16 (only --lr and --max-grad-norm"),
]


@pytest.mark.parametrize("argv, words", BAD_INVOCATIONS,
                         ids=[" ".join(a[-2:]) for a, _ in BAD_INVOCATIONS])
def test_bad_invocation_exits_2_with_one_line(argv, words, bad_files, capsys):
    fill = {k: str(v) for k, v in bad_files.items()}
    code, out, err = run_main([a.format(**fill) for a in argv], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("cnn_train.py: error: "), err
    assert words.format(**fill) in err
    assert out == ""  # nothing started


def test_the_table_covers_thirty_invocations():
    assert len(BAD_INVOCATIONS) >= 30


def test_bad_input_on_the_real_command_line_has_no_traceback(bad_files):
    for argv in (["--dataset", "cifar10", "--data-dir", "/no/such/dir"],
                 ["--dataset", "cifar10", "--data-dir", str(bad_files["tmp"] / "truncated")],
                 ["--batch-size", "5000"]):
        proc = run_cli(*argv)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        if "/no/such/dir" in argv:  # the message says what to do
            assert "'/no/such/dir'; pass --download or point --data-dir at them" in proc.stderr


OPTIONS = {  # values a user might type, good and bad
    "--epochs": ["0", "1", "2"],
    "--batch-size": ["0", "8", "32", "5000"],
    "--limit-images": ["1", "10", "60", "200"],
    "--val-fraction": ["0", "0.05", "0.2", "0.5", "1"],
    "--image-size": ["8", "10", "16"],
    "--model": ["convbn", "resnet"],
    "--lr": ["-1", "0", "1e-3", "0.1", "50", "inf", "nan", "x"],
    "--momentum": ["0", "0.5", "1", "1.5"],
    "--warmup-epochs": ["0", "0.5", "3"],
    "--max-grad-norm": ["0", "0.1", "5", "-1", "nan"],
    "--weight-decay": ["0", "5e-4", "-1"],
    "--crop-padding": ["-1", "0", "2"],
    "--log-every": ["0", "1", "3"],
    "--debug-inject-nan-at-step": ["1", "4"],
    "--no-nesterov": [None], "--flip": [None], "--no-channels-last": [None], "--resume": [None],
}
CHOICES = [(k, v) for k, values in OPTIONS.items() for v in values]
TINY_BASE = ["--epochs", "1", "--limit-images", "120", "--image-size", "12", "--batch-size", "16"]


def test_random_option_combinations_end_cleanly():
    """Property: any mix of up to four changed options on a tiny run ends with 0, 2 or 3, and a
    non-zero end is exactly one line. Also checks that every outcome was reached."""
    outcomes = collections.Counter()

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(st.lists(st.sampled_from(CHOICES), max_size=4, unique_by=lambda kv: kv[0]))
    def one_run(changes):
        argv = TINY_BASE + [x for k, v in changes for x in (k, v) if x is not None]
        out, err = io.StringIO(), io.StringIO()
        with tempfile.TemporaryDirectory() as out_dir:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = train_mod.main(argv + ["--out-dir", out_dir, "--progress", "off"])
        outcomes[code] += 1
        assert code in (0, 2, 3), (argv, code, err.getvalue())
        if code == 0:
            assert err.getvalue() == "" and "done: " in out.getvalue()
        else:
            assert err.getvalue().count("\n") == 1, (argv, err.getvalue())
            assert err.getvalue().startswith("cnn_train.py: error: "), (argv, err.getvalue())

    one_run()  # any exception escaping main here would be a traceback for a user
    print(f"\nrandom options: exit codes {dict(sorted(outcomes.items()))}")
    assert set(outcomes) == {0, 2, 3}


def test_failed_download_exits_1_with_a_message(tmp_path, monkeypatch, capsys):
    def no_network(data_dir):
        raise OSError("no route to host")
    monkeypatch.setattr(train_mod, "download_cifar10", no_network)
    code, _, err = run_main(["--dataset", "cifar10", "--download", "--data-dir", tmp_path], capsys)
    assert code == 1 and "download failed: no route to host" in err


def test_ctrl_c_exits_130_and_says_how_to_continue(tmp_path, monkeypatch, capsys):
    calls = []
    real_step = train_mod.train_step

    def step_then_interrupt(*a, **k):
        calls.append(1)
        if len(calls) == TINY_STEPS_PER_EPOCH + 2:  # inside epoch 2
            raise KeyboardInterrupt
        return real_step(*a, **k)
    monkeypatch.setattr(train_mod, "train_step", step_then_interrupt)
    code, _, err = run_main(TINY + ["--out-dir", tmp_path], capsys)
    assert code == 130
    assert f"last good checkpoint is {tmp_path / 'last.pt'} (end of epoch 1)" in err
    assert "continue with --resume" in err and err.count("\n") == 1


# --- divergence and recovery ----------------------------------------------------------------------

def test_divergence_stops_naming_the_step_and_keeps_last_good_checkpoint(tmp_path):
    bad_step = TINY_STEPS_PER_EPOCH + 2  # in epoch 2
    proc = run_cli(*TINY, "--out-dir", str(tmp_path / "bad"),
                   "--debug-inject-nan-at-step", str(bad_step))
    assert proc.returncode == 3  # the page: exit code 3 for a diverged run
    assert f"loss became nan at step {bad_step} (epoch 2)" in proc.stderr
    assert f"the last good checkpoint is {tmp_path / 'bad' / 'last.pt'} (end of epoch 1)" in proc.stderr
    assert "--lr 0.01" in proc.stderr and "--resume" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    on_disk = torch.load(tmp_path / "bad" / "last.pt", weights_only=True)
    assert (on_disk["epoch"], on_disk["step"]) == (1, TINY_STEPS_PER_EPOCH)
    # the same run without the fault, stopped after epoch 1, wrote the same weights
    with pytest.raises(KeyboardInterrupt):
        run_in_process(TINY + ["--out-dir", str(tmp_path / "good")],
                       on_step=interrupt_at(TINY_STEPS_PER_EPOCH + 1))
    good = torch.load(tmp_path / "good" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(on_disk["model"][k], good[k]) for k in good)
    assert [r["step"] for r in read_metrics(tmp_path / "bad", "step")] == list(range(1, bad_step))
    assert read_metrics(tmp_path / "bad", "diverged") == [
        {"kind": "diverged", "step": bad_step, "epoch": 2, "loss": "nan"}]


def test_divergence_before_the_first_checkpoint_says_to_start_again(tmp_path, capsys):
    stale = tmp_path / "last.pt"  # an older run's checkpoint in the same folder
    run_in_process(TINY + ["--epochs", "1", "--out-dir", str(tmp_path)])
    assert stale.is_file()
    code, _, err = run_main(TINY + ["--out-dir", tmp_path, "--debug-inject-nan-at-step", "5"],
                            capsys)
    assert code == 3
    assert "loss became nan at step 5 (epoch 1) before the first checkpoint" in err
    assert "--resume" not in err and "--lr 0.01" in err
    assert not stale.exists()  # a new run replaced the old run's files; none names it
    code, _, err = run_main(TINY + ["--out-dir", tmp_path, "--resume"], capsys)
    assert code == 2 and "no checkpoint" in err


def test_resume_after_divergence_with_a_lower_rate_finishes(tmp_path, capsys):
    """End to end: NaN at step 10 -> exit 3 -> resume with half the rate and a lower threshold."""
    bad_step = TINY_STEPS_PER_EPOCH + 3
    code, _, err = run_main(TINY + ["--out-dir", tmp_path, "--debug-inject-nan-at-step", bad_step],
                            capsys)
    assert code == 3
    code, out, err = run_main(TINY + ["--out-dir", tmp_path, "--resume", "--lr", "0.01",
                                      "--max-grad-norm", "2"], capsys)
    assert code == 0 and err == ""
    assert "resuming after epoch 1 (step 7), --lr 0.02 -> 0.01, --max-grad-norm 20.0 -> 2.0" in out
    records = read_metrics(tmp_path)
    assert [r["kind"] for r in records if r["kind"] not in ("step", "epoch")] == [
        "diverged", "resume", "final"]
    (resume,) = read_metrics(tmp_path, "resume")
    assert resume == {"kind": "resume", "epoch": 1, "step": 7,
                      "changed": {"lr": [0.02, 0.01], "max_grad_norm": [20.0, 2.0]}}
    steps = read_metrics(tmp_path, "step")
    assert [r["step"] for r in steps] == list(range(1, 3 * TINY_STEPS_PER_EPOCH + 1))
    total, warmup = 3 * TINY_STEPS_PER_EPOCH, TINY_STEPS_PER_EPOCH
    for r in steps:  # the same schedule, scaled to the new peak from the resumed step on
        peak = 0.02 if r["step"] <= 7 else 0.01
        assert r["lr"] == pytest.approx(peak * optim.warmup_cosine_factor(r["step"] - 1, warmup,
                                                                          total), rel=1e-12)
    assert all(math.isfinite(r["loss"]) for r in steps)
    saved = torch.load(tmp_path / "last.pt", weights_only=True)
    assert saved["config"]["lr"] == 0.01 and saved["config"]["max_grad_norm"] == 2.0
    assert saved["result"]["steps"] == 3 * TINY_STEPS_PER_EPOCH


def test_change_peak_lr_scales_the_rest_of_the_schedule():
    params = [torch.zeros(1, requires_grad=True)]
    a, b = torch.optim.SGD(params, lr=0.4), torch.optim.SGD(params, lr=0.1)
    sa, sb = optim.make_scheduler(a, 5, 30), optim.make_scheduler(b, 5, 30)
    for _ in range(8):
        a.step(), b.step(), sa.step(), sb.step()
    optim.change_peak_lr(a, sa, 0.1)
    for _ in range(22):
        assert a.param_groups[0]["lr"] == pytest.approx(b.param_groups[0]["lr"], rel=1e-12)
        assert a.param_groups[0]["initial_lr"] == 0.1
        a.step(), b.step(), sa.step(), sb.step()


def test_resuming_a_finished_run_reports_it_and_exits_0(tiny_runs, capsys):
    code, out, err = run_main(TINY + ["--out-dir", tiny_runs["full"], "--resume"], capsys)
    assert code == 0 and err == ""
    (final,) = read_metrics(tiny_runs["full"], "final")
    assert f"holds a finished run: best validation accuracy {100 * final['val_acc']:.2f}%" in out
    assert f"test accuracy {100 * final['test_acc']:.2f}%" in out and "nan" not in out


def test_resume_with_changed_settings_is_refused_with_exit_2(tiny_runs, capsys):
    code, _, err = run_main(TINY + ["--out-dir", tiny_runs["full"], "--resume", "--epochs", "5"],
                            capsys)
    assert code == 2 and "--resume with different settings: --epochs 3 -> 5" in err


# --- progress -------------------------------------------------------------------------------------

def test_progress_bar_shows_images_per_second_only_when_asked(tmp_path, capsys):
    code, out, err = run_main(TINY + ["--epochs", "1", "--out-dir", tmp_path, "--progress", "on"],
                              capsys)
    assert code == 0 and "img/s" in err and "epoch 1/1" in err  # tqdm's bar on stderr
    code, out, err = run_main(TINY + ["--epochs", "1", "--out-dir", tmp_path, "--progress", "auto"],
                              capsys)
    assert code == 0 and err == ""  # not a terminal: no bar, only the per-epoch lines
    assert "epoch 1/1  train loss" in out and "img/s" in out


def test_the_articles_network_fails_on_32x32_images_as_the_page_quotes():
    """Claim (model section): the article's Linear(128*5*5) meets 64 rows of 128*6*6 = 4608 features."""
    article = load_snippet("cnn_recipe/article_network.py")
    assert article.shape_error() == "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x4608 and 3200x10)"
    assert article.shape_error(image_size=28) is None  # 28 -> 26 -> 13 -> 11 -> 5: the article's size fits


def test_the_pages_divergence_and_recovery_lines_are_what_the_program_prints(tmp_path, monkeypatch,
                                                                            capsys):
    """The page quotes the message of a default run diverging at step 30 and the resume line."""
    from tests.support import ROOT
    monkeypatch.chdir(tmp_path)  # the default --out-dir, runs/cnn, as the page shows it
    code, _, err = run_main(["--debug-inject-nan-at-step", "30", "--progress", "off"], capsys)
    assert code == 3
    code, out, _ = run_main(["--resume", "--lr", "0.01", "--progress", "off", "--epochs", "4"],
                            capsys)
    assert code == 0
    resumed = next(line for line in out.splitlines() if line.startswith("resuming"))
    for page in ("cnn-recipe.md", "cnn-recipe.zh.md"):
        text = (ROOT / "docs" / page).read_text()
        assert err.strip() in text, page
        assert f"`{resumed}`" in text, page


def test_the_figures_short_run_never_reaches_the_threshold(tmp_path):
    """The figure's run (digits at 16x16, 3 epochs): 54 steps, warmup 18, norms between 2 and 7,
    far below the default threshold, so clipping never acts there (the page's caption)."""
    plot = (SNIPPETS / "cnn_recipe" / "plot_cnn_run.py").read_text()
    argv = ast.literal_eval(plot.split("ARGV = ", 1)[1].split("\n", 1)[0])  # the figure's settings
    result = run_in_process(argv + ["--out-dir", str(tmp_path)])
    norms = [r["grad_norm"] for r in read_metrics(tmp_path, "step")]
    assert result["steps"] == 54 and len(norms) == 54
    assert 2.0 < min(norms) and max(norms) < 7.0 < train_mod.build_parser().get_default("max_grad_norm")
    lrs = [r["lr"] for r in read_metrics(tmp_path, "step")]
    assert max(lrs) == lrs[18] == pytest.approx(0.02)  # warmup ends after 18 steps
