"""Benchmark of the CNN recipe: training images/s against the article's plain loop, time to target
validation accuracy on digits, and FLOPs per image. Runs on whatever device is present.

    python benchmarks/bench_cnn_recipe.py [--model convbn|resnet] [--steps 30] [--compile]
    python benchmarks/bench_cnn_recipe.py --matrix   # on a GPU: the table for the recipe's page

--matrix trains on synthetic CIFAR-10-format data (no download needed) and prints images/s for
fp32 vs mixed precision, channels_last on/off, torch.compile on/off and the plain loop, each the
median of --rounds interleaved rounds.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "snippets" / "cnn_recipe"))
from cifar_format import synthetic_cifar  # noqa: E402
from cnn_data import DeviceLoader, channel_stats, load_cifar10, load_digits_images  # noqa: E402
from cnn_models import MODELS, build_model, flops_per_image, train_flops_per_image  # noqa: E402
from cnn_optim import (make_optimizer, make_scaler, make_scheduler, pick_amp_dtype,  # noqa: E402
                       pick_device, train_step)
import cnn_train  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def cycle(iterable_factory):
    while True:
        yield from iterable_factory()


def time_steps(step_fn, batches, warmup, steps, batch_size, device):
    for _ in range(warmup):
        step_fn(*next(batches))
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step_fn(*next(batches))
    sync(device)
    return steps * batch_size / (time.perf_counter() - start)


def plain_loop(model_name, x, y, mean, std, device, batch_size):
    """The source article's loop: fp32, CPU DataLoader, copy each batch, clip, SGD."""
    torch.manual_seed(0)
    model = build_model(model_name).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, weight_decay=5e-4)
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    dataset = TensorDataset((x.float() / 255 - m) / s, y)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True)

    def step(inputs, targets):
        inputs, targets = inputs.to(device), targets.to(device)
        loss = F.cross_entropy(model(inputs), targets)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    return step, cycle(lambda: loader)


def recipe_loop(model_name, x, y, mean, std, device, batch_size, compile_, amp="auto",
                channels_last=True):
    torch.manual_seed(0)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = build_model(model_name).to(device).to(memory_format=layout)
    step_model = torch.compile(model) if compile_ else model
    amp_dtype = pick_amp_dtype(device, amp)
    opt = make_optimizer(model, lr=0.02)
    sched = make_scheduler(opt, 10, 10 ** 6)
    scaler = make_scaler(device, amp_dtype)
    loader = DeviceLoader(x, y, batch_size, device, mean, std, train=True, flip=False,
                          channels_last=channels_last)
    max_norm = cnn_train.build_parser().get_default("max_grad_norm")

    def step(inputs, targets):
        train_step(step_model, inputs, targets, opt, scaler, amp_dtype, max_norm)
        sched.step()

    return step, cycle(lambda: loader), amp_dtype


def time_to_target(target, model_name, device, compile_):
    """Run the recipe's CLI defaults on digits; seconds until an epoch's validation accuracy >=
    target, and the final result (test accuracy of the best validation epoch)."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["--out-dir", tmp, "--progress", "off", "--model", model_name,
                "--device", str(device)] + (["--compile"] if compile_ else [])
        result = cnn_train.run(argv)
        epochs = [json.loads(line) for line in Path(tmp, "metrics.jsonl").read_text().splitlines()]
        epochs = [r for r in epochs if r["kind"] == "epoch"]
    hit = next((r for r in epochs if r["val_acc"] >= target), None)
    return hit, epochs[-1], result


def speed_matrix(args, device):
    """images/s of each speed option on synthetic CIFAR-10-format data, medians of rounds."""
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_cifar(tmp, n_train=args.matrix_images, n_test=100)
        (x, y), _ = load_cifar10(tmp)
    mean, std = channel_stats(x)
    common = (args.model, x, y, mean, std, device, args.batch_size)
    variants = {"article's plain loop (fp32, DataLoader, NCHW)": plain_loop(*common)}
    for amp in ("off", "auto"):
        for channels_last in (False, True):
            step, batches, dtype = recipe_loop(*common, False, amp, channels_last)
            name = f"recipe, {dtype or 'fp32'}, {'channels_last' if channels_last else 'NCHW'}"
            variants[name] = (step, batches)
    if device.type == "cuda" or args.compile:  # compiling on a CPU takes minutes
        step, batches, dtype = recipe_loop(*common, True, "auto", True)
        variants[f"recipe, {dtype or 'fp32'}, channels_last, compile"] = (step, batches)
    rates = {name: [] for name in variants}
    for _ in range(args.rounds):  # interleaved: a busy moment hits every variant alike
        for name, (step, batches) in variants.items():
            rates[name].append(time_steps(step, batches, args.warmup, args.steps,
                                          args.batch_size, device))
    plain = statistics.median(next(iter(rates.values())))
    print(f"\nimages/s, {args.model}, batch {args.batch_size}, synthetic CIFAR-10-format data "
          f"({len(y)} images), median of {args.rounds} rounds of {args.steps} steps:")
    print("| variant | images/s | vs plain loop |\n|---|---|---|")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"| {name} | {rate:,.0f} | {rate / plain:.2f}x |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), default="convbn")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=20, help="timed steps per round")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before each round")
    p.add_argument("--rounds", type=int, default=3, help="alternating timing rounds")
    p.add_argument("--skip-accuracy", action="store_true", help="skip the time-to-target run")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--matrix", action="store_true",
                   help="the speed table: fp32/AMP x NCHW/channels_last, compile, plain loop")
    p.add_argument("--matrix-images", type=int, default=50_000)
    args = p.parse_args()

    device = pick_device("auto")
    torch.set_float32_matmul_precision("high")
    (x, y), _ = load_digits_images(32)
    mean, std = channel_stats(x)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    print(f"device: {device} ({name})  torch {torch.__version__}  "
          f"threads {torch.get_num_threads()}")
    if args.matrix:
        speed_matrix(args, device)
        return

    print("\nFLOPs per 32x32 image (multiply-add = 2):")
    for name in sorted(MODELS):
        net = build_model(name)
        print(f"  {name:7s} forward {flops_per_image(net) / 1e6:8.1f} MFLOP   "
              f"training step (fwd+bwd) {train_flops_per_image(net) / 1e6:8.1f} MFLOP")

    common = (args.model, x, y, mean, std, device, args.batch_size)
    plain_step, plain_batches = plain_loop(*common)
    recipe_step, recipe_batches, amp_dtype = recipe_loop(*common, args.compile)
    plain, recipe = [], []
    for _ in range(args.rounds):  # interleaved rounds, medians: robust to a busy machine
        plain.append(time_steps(plain_step, plain_batches, args.warmup, args.steps,
                                args.batch_size, device))
        recipe.append(time_steps(recipe_step, recipe_batches, args.warmup, args.steps,
                                 args.batch_size, device))
    plain, recipe = statistics.median(plain), statistics.median(recipe)
    print(f"\ntraining speed, {args.model}, batch {args.batch_size}, median of {args.rounds} "
          f"rounds of {args.steps} steps:")
    print(f"  article's plain loop (fp32, DataLoader, NCHW): {plain:9.0f} images/s")
    print(f"  recipe (amp {amp_dtype or 'off'}, device data, channels_last"
          f"{', compile' if args.compile else ''}): {recipe:9.0f} images/s")
    print(f"  ratio recipe / plain: {recipe / plain:.2f}x")

    if args.skip_accuracy:
        return
    hit, last, result = time_to_target(args.target, args.model, device, args.compile)
    print(f"\nrecipe defaults on digits ({args.model}): validation accuracy "
          f"{100 * last['val_acc']:.2f}% after {last['epoch']} epochs, {last['time_s']:.1f} s; "
          f"test accuracy {100 * result['test_acc']:.2f}% (best validation epoch "
          f"{result['best_epoch']})")
    if hit:
        print(f"  reached {100 * args.target:.0f}% after epoch {hit['epoch']}: {hit['time_s']:.1f} s")
    else:
        print(f"  did not reach {100 * args.target:.0f}%")


if __name__ == "__main__":
    main()
