"""Claims of the CNN recipe page: accuracy, exact resume, CIFAR reader, clipping under the scaler,
clean failures, schedule and weight-decay groups."""
import copy
import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import tarfile
import time

import numpy as np
import pytest
import torch

from tests.support import SNIPPETS, load_snippet

models = load_snippet("cnn_recipe/cnn_models.py")
data = load_snippet("cnn_recipe/cnn_data.py")
optim = load_snippet("cnn_recipe/cnn_optim.py")
train_mod = load_snippet("cnn_recipe/cnn_train.py")
ckpt = load_snippet("cnn_recipe/cnn_checkpoint.py")

SCRIPT = SNIPPETS / "cnn_recipe" / "cnn_train.py"
# A tiny run: 256 digits at 12x12, 8 steps per epoch.
TINY = ["--image-size", "12", "--limit-images", "256", "--batch-size", "32", "--epochs", "3",
        "--log-every", "3", "--progress", "off"]
TINY_STEPS_PER_EPOCH = 8


def run_in_process(argv, on_step=None):
    parser = train_mod.build_parser()
    args = parser.parse_args(argv)
    device = train_mod.check_args(parser, args)
    return train_mod.train(args, device, on_step=on_step)


def interrupt_at(step_to_stop):
    def on_step(step):
        if step == step_to_stop:
            raise KeyboardInterrupt
    return on_step


def read_metrics(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


def run_cli(*argv):
    # same intra-op thread count as this process: float sums, hence weights, depend on it
    env = dict(os.environ, OMP_NUM_THREADS=str(torch.get_num_threads()))
    return subprocess.run([sys.executable, str(SCRIPT), *argv], capture_output=True, text=True,
                          timeout=120, env=env)


# --- accuracy -----------------------------------------------------------------------------------

def test_default_recipe_reaches_95_percent_on_digits(tmp_path):
    start = time.perf_counter()
    result = run_in_process(["--out-dir", str(tmp_path), "--progress", "off"])
    seconds = time.perf_counter() - start
    print(f"\ndigits, default recipe: test accuracy {100 * result['test_acc']:.2f}% "
          f"after {result['steps']} steps in {seconds:.1f} s")
    assert result["test_acc"] >= 0.95
    epochs = [r for r in read_metrics(tmp_path) if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2, 3, 4]  # evaluated every epoch


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
    assert all(0.0 <= r["test_acc"] <= 1.0 for r in epochs)


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
        batch = {b"batch_label": name.encode(), b"labels": labels,
                 b"data": images.reshape(n, 3072),  # rows: all red, then green, then blue
                 b"filenames": [f"{name}_{k}.png".encode() for k in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
        expected[name] = (images, labels)
    return expected


def test_cifar_reader_on_files_in_the_real_format(tmp_path):
    sizes = {**{f"data_batch_{i}": 3 for i in range(1, 6)}, "test_batch": 4}
    expected = write_cifar_like(tmp_path / "cifar-10-batches-py", sizes)
    (x_train, y_train), (x_test, y_test) = data.load_cifar10(tmp_path)  # finds the subfolder
    assert x_train.shape == (15, 3, 32, 32) and x_train.dtype == torch.uint8
    assert x_test.shape == (4, 3, 32, 32)
    want = np.concatenate([expected[f"data_batch_{i}"][0] for i in range(1, 6)])
    assert np.array_equal(x_train.numpy(), want)
    assert y_train.tolist() == sum((expected[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert np.array_equal(x_test.numpy(), expected["test_batch"][0])
    assert y_test.tolist() == expected["test_batch"][1]
    # and the command line trains on it
    result = run_in_process(["--dataset", "cifar10", "--data-dir", str(tmp_path), "--epochs", "1",
                             "--batch-size", "5", "--out-dir", str(tmp_path / "run"),
                             "--progress", "off"])
    assert result["steps"] == 3


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


# --- failures -----------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, words", [
    (["--epochs", "0"], "--epochs must be positive"),
    (["--lr", "fast"], "invalid float value"),
    (["--model", "vgg"], "invalid choice"),
    (["--resume", "--out-dir", "/no/such/run"], "no checkpoint"),
])
def test_bad_arguments_exit_2_with_a_message(argv, words, capsys):
    with pytest.raises(SystemExit) as exit_info:  # argparse's parser.error: message + exit 2
        train_mod.main(argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


def test_missing_data_dir_exits_2_without_traceback():
    proc = run_cli("--dataset", "cifar10", "--data-dir", "/no/such/dir")
    assert proc.returncode == 2
    assert "/no/such/dir" in proc.stderr and "--download" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_divergence_stops_naming_the_step_and_keeps_last_good_checkpoint(tmp_path):
    bad_step = TINY_STEPS_PER_EPOCH + 2  # in epoch 2
    proc = run_cli(*TINY, "--out-dir", str(tmp_path / "bad"),
                   "--debug-inject-nan-at-step", str(bad_step))
    assert proc.returncode == 3  # the page: exit code 3 for a diverged run
    assert f"step {bad_step}" in proc.stderr and "Traceback" not in proc.stderr
    on_disk = torch.load(tmp_path / "bad" / "last.pt", weights_only=True)
    assert (on_disk["epoch"], on_disk["step"]) == (1, TINY_STEPS_PER_EPOCH)
    # the same run without the fault, stopped after epoch 1, wrote the same weights
    with pytest.raises(KeyboardInterrupt):
        run_in_process(TINY + ["--out-dir", str(tmp_path / "good")],
                       on_step=interrupt_at(TINY_STEPS_PER_EPOCH + 1))
    good = torch.load(tmp_path / "good" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(on_disk["model"][k], good[k]) for k in good)
    logged = [r["step"] for r in read_metrics(tmp_path / "bad") if r["kind"] == "step"]
    assert logged == list(range(1, bad_step))  # every finite step logged, nothing after


def test_resume_with_changed_settings_is_refused_with_exit_2(tiny_runs, capsys):
    with pytest.raises(SystemExit) as stop:
        train_mod.main(TINY + ["--out-dir", str(tiny_runs["full"]), "--resume", "--lr", "0.5"])
    assert stop.value.code == 2
    assert "--resume with different settings: --lr 0.02 -> 0.5" in capsys.readouterr().err


def test_the_articles_network_fails_on_32x32_images_as_the_page_quotes():
    """Claim (model section): the article's Linear(128*5*5) meets 64 rows of 128*6*6 = 4608 features."""
    article = load_snippet("cnn_recipe/article_network.py")
    assert article.shape_error() == "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x4608 and 3200x10)"
    assert article.shape_error(image_size=28) is None  # 28 -> 26 -> 13 -> 11 -> 5: the article's size fits
