"""Train an image classifier with BN, Nesterov SGD, warmup + cosine and clipping (run with --help)."""
# --8<-- [start:imports]
import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from cnn_checkpoint import load_checkpoint, save_checkpoint
from cnn_data import (DeviceLoader, channel_stats, download_cifar10, find_cifar_dir,
                      load_cifar10, load_digits_images)
from cnn_models import MODELS, build_model
from cnn_optim import (make_optimizer, make_scaler, make_scheduler, pick_amp_dtype,
                       pick_device, train_step)
from cnn_progress import ProgressBar
# --8<-- [end:imports]

# Settings that shape the trajectory: a resumed run must use the same values.
RESUME_KEYS = ("dataset", "model", "image_size", "limit_images", "epochs", "batch_size", "lr",
               "momentum", "nesterov", "weight_decay", "warmup_epochs", "max_grad_norm",
               "flip", "crop_padding", "seed", "amp")


# --8<-- [start:diverged]
class Diverged(RuntimeError):
    def __init__(self, step, epoch, value):
        super().__init__(f"loss became {value} at step {step} (epoch {epoch})")
        self.step, self.epoch = step, epoch
# --8<-- [end:diverged]


# --8<-- [start:cli]
class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action):  # show defaults, except for flags that are off/unset
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def build_parser():
    p = argparse.ArgumentParser(
        description="Image classification recipe: batch norm, Nesterov momentum SGD, linear "
                    "warmup into cosine decay (stepped per batch), gradient-norm clipping, "
                    "mixed precision, channels_last and on-device data augmentation.",
        formatter_class=HelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--dataset", choices=["digits", "cifar10"], default="digits",
                   help="digits: scikit-learn's bundled 8x8 digits, upsampled (offline); "
                        "cifar10: the python-format batches in --data-dir")
    d.add_argument("--data-dir", type=Path, default=Path("data/cifar10"),
                   help="folder with data_batch_1..5 and test_batch (or cifar-10-batches-py/)")
    d.add_argument("--download", action="store_true",
                   help="download CIFAR-10 into --data-dir first and check its MD5")
    d.add_argument("--image-size", type=int, default=32,
                   help="side the digits are upsampled to (CIFAR-10 is always 32)")
    d.add_argument("--limit-images", type=int, default=0, metavar="N",
                   help="use only the first N training and N test images (0: all); quick checks")
    d.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                   help="random horizontal flips (default: on for cifar10, off for digits, "
                        "whose mirror images are not digits)")
    d.add_argument("--crop-padding", type=int, default=4,
                   help="random-crop padding in pixels (0: no crop)")
    m = p.add_argument_group("model")
    m.add_argument("--model", choices=sorted(MODELS), default="convbn",
                   help="convbn: two conv-BN-ReLU-pool layers + linear; resnet: small ResNet")
    o = p.add_argument_group("optimization")
    o.add_argument("--epochs", type=int, default=4, help="training epochs")
    o.add_argument("--batch-size", type=int, default=64, help="images per step")
    o.add_argument("--lr", type=float, default=0.02, help="peak learning rate (after warmup)")
    o.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    o.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=True,
                   help="Nesterov momentum")
    o.add_argument("--weight-decay", type=float, default=5e-4,
                   help="L2 weight decay on conv/linear weights (never on BN or biases)")
    o.add_argument("--warmup-epochs", type=float, default=1.0,
                   help="linear warmup length (from 0.1 x lr), then cosine decay to 0")
    o.add_argument("--max-grad-norm", type=float, default=5.0,
                   help="clip the global gradient L2 norm to this value")
    s = p.add_argument_group("speed")
    s.add_argument("--device", default="auto",
                   help="auto (cuda, then mps, then cpu), or a torch device such as cuda:1")
    s.add_argument("--amp", choices=["auto", "off", "bf16", "fp16"], default="auto",
                   help="autocast dtype; auto: bf16 on GPUs that support it, else fp16 with a "
                        "gradient scaler; fp32 (off) on cpu and mps")
    s.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True,
                   help="NHWC memory layout (faster convolutions on tensor-core GPUs)")
    s.add_argument("--compile", action="store_true", help="torch.compile the model")
    r = p.add_argument_group("run")
    r.add_argument("--out-dir", type=Path, default=Path("runs/cnn"),
                   help="where last.pt (checkpoint) and metrics.jsonl go")
    r.add_argument("--resume", action="store_true",
                   help="continue from OUT_DIR/last.pt (same settings required)")
    r.add_argument("--seed", type=int, default=0, help="seed for weights, data order, augmentation")
    r.add_argument("--log-every", type=int, default=20,
                   help="steps between host syncs (metrics write-out, NaN check, progress text)")
    r.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                   help="progress bar on stderr (auto: only when stderr is a terminal)")
    g = p.add_argument_group("debugging")
    g.add_argument("--debug-inject-nan-at-step", type=int, default=0, metavar="STEP",
                   help="feed NaN images at this step (1-based; 0: never) to test the "
                        "divergence stop")
    return p
# --8<-- [end:cli]


def check_args(parser, args):
    """Reject bad settings with a message and exit code 2 (parser.error), never a traceback."""
    positive = ("epochs", "batch_size", "lr", "max_grad_norm", "log_every", "image_size")
    for name in positive:
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    for name in ("weight_decay", "warmup_epochs", "crop_padding", "limit_images", "momentum"):
        if getattr(args, name) < 0 or not math.isfinite(getattr(args, name)):
            parser.error(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    if args.model == "convbn" and args.image_size < 10:
        parser.error("--model convbn needs --image-size >= 10")
    if args.dataset == "cifar10":
        if args.image_size != 32:
            parser.error("--image-size applies to digits only (CIFAR-10 images are 32x32)")
        if not args.download and find_cifar_dir(args.data_dir) is None:
            parser.error(f"no CIFAR-10 python batches (data_batch_1..5, test_batch) in "
                         f"'{args.data_dir}'; pass --download or point --data-dir at them")
    try:
        device = pick_device(args.device)
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError) as err:
        reason = str(err).splitlines()[0].split(". ")[0]  # first sentence is enough
        parser.error(f"--device {args.device} is not usable here: {reason}")
    if args.resume and not (args.out_dir / "last.pt").is_file():
        parser.error(f"--resume: no checkpoint at {args.out_dir / 'last.pt'}")
    if args.flip is None:
        args.flip = args.dataset == "cifar10"
    return device


# --8<-- [start:helpers]
def load_data(args):
    if args.dataset == "cifar10":
        train, test = load_cifar10(args.data_dir)
    else:
        train, test = load_digits_images(args.image_size, seed=args.seed)
    if args.limit_images:
        train = tuple(t[:args.limit_images] for t in train)
        test = tuple(t[:args.limit_images] for t in test)
    return train, test


@torch.no_grad()
def evaluate(model, loader, amp_dtype):
    model.eval()
    correct, loss_sum, n = 0, 0.0, 0
    for x, y in loader:
        with torch.autocast(x.device.type, dtype=amp_dtype or torch.float32,
                            enabled=amp_dtype is not None):
            logits = model(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        n += len(y)
    model.train()
    return correct / n, loss_sum / n


def write_records(path, records, mode="a"):
    with open(path, mode) as f:
        for rec in records:
            f.write(json.dumps(rec) + "\n")


def trim_metrics(path, step, epoch):
    """On resume, drop records written after the checkpoint (they will be produced again)."""
    if not path.is_file():
        return
    keep = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    keep = [r for r in keep if (r["step"] <= step if r["kind"] == "step" else r["epoch"] <= epoch)]
    write_records(path, keep, mode="w")
# --8<-- [end:helpers]


# --8<-- [start:train]
def train(args, device, on_step=None):
    """The whole run. Raises Diverged on a non-finite loss (the last good checkpoint stays)."""
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # pick the fastest conv kernels for fixed shapes
    (x_train, y_train), (x_test, y_test) = load_data(args)
    mean, std = channel_stats(x_train)
    common = dict(device=device, mean=mean, std=std, channels_last=args.channels_last)
    train_loader = DeviceLoader(x_train, y_train, args.batch_size, train=True,
                                padding=args.crop_padding, flip=args.flip, seed=args.seed, **common)
    test_loader = DeviceLoader(x_test, y_test, 512, train=False, **common)
    if len(train_loader) == 0:
        raise ValueError("fewer training images than one batch")

    model = build_model(args.model, num_classes=10, image_size=args.image_size).to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if args.compile else model
    amp_dtype = pick_amp_dtype(device, args.amp)
    optimizer = make_optimizer(model, args.lr, args.momentum, args.weight_decay, args.nesterov)
    steps_per_epoch = len(train_loader)
    total_steps = args.epochs * steps_per_epoch
    warmup_steps = round(args.warmup_epochs * steps_per_epoch)
    scheduler = make_scheduler(optimizer, warmup_steps, total_steps)
    scaler = make_scaler(device, amp_dtype)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path, metrics_path = args.out_dir / "last.pt", args.out_dir / "metrics.jsonl"
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    start_epoch, step = 0, 0
    if args.resume:
        state = load_checkpoint(ckpt_path, model=model, optimizer=optimizer,
                                scheduler=scheduler, scaler=scaler)
        start_epoch, step = state["epoch"], state["step"]
        trim_metrics(metrics_path, step, start_epoch)
    else:
        metrics_path.write_text("")

    show = args.progress == "on" or (args.progress == "auto" and sys.stderr.isatty())
    t0, test_acc = time.perf_counter(), float("nan")
    for epoch in range(start_epoch + 1, args.epochs + 1):
        train_loader.set_epoch(epoch)
        bar = ProgressBar(steps_per_epoch, desc=f"epoch {epoch}/{args.epochs}", enabled=show)
        pending, losses = [], []
        for x, y in train_loader:
            step += 1
            if step == args.debug_inject_nan_at_step:
                x = torch.full_like(x, float("nan"))
            lr = scheduler.get_last_lr()[0]
            loss, grad_norm = train_step(step_model, x, y, optimizer, scaler, amp_dtype,
                                         args.max_grad_norm)
            scheduler.step()
            pending.append((step, lr, loss, grad_norm))
            if len(pending) >= args.log_every or step == epoch * steps_per_epoch:
                losses += flush(pending, epoch, metrics_path)  # one host sync per flush
                bar.update(len(pending), loss=losses[-1])
                pending = []
            if on_step is not None:
                on_step(step)
        bar.close()
        test_acc, test_loss = evaluate(step_model, test_loader, amp_dtype)
        elapsed = time.perf_counter() - t0
        write_records(metrics_path, [{"kind": "epoch", "epoch": epoch, "step": step,
                                      "train_loss": sum(losses) / len(losses),
                                      "test_loss": test_loss, "test_acc": test_acc,
                                      "time_s": elapsed}])
        save_checkpoint(ckpt_path, model=model, optimizer=optimizer, scheduler=scheduler,
                        scaler=scaler, epoch=epoch, step=step, config=config)
        print(f"epoch {epoch}/{args.epochs}  train loss {sum(losses) / len(losses):.4f}  "
              f"test loss {test_loss:.4f}  test acc {100 * test_acc:.2f}%  {elapsed:.1f}s",
              flush=True)
    return {"model": model, "test_acc": test_acc, "steps": step,
            "seconds": time.perf_counter() - t0}


def flush(pending, epoch, metrics_path):
    """Copy buffered step values to the host, stop at the first non-finite loss, log the rest."""
    values = torch.stack([torch.stack([loss.float(), norm.float()])
                          for _, _, loss, norm in pending]).tolist()
    records = []
    for (step, lr, _, _), (loss, norm) in zip(pending, values):
        if not math.isfinite(loss):
            write_records(metrics_path, records)
            raise Diverged(step, epoch, loss)
        records.append({"kind": "step", "step": step, "epoch": epoch, "loss": loss, "lr": lr,
                        "grad_norm": norm})
    write_records(metrics_path, records)
    return [r["loss"] for r in records]
# --8<-- [end:train]


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    device = check_args(parser, args)
    if args.resume:
        saved = torch.load(args.out_dir / "last.pt", map_location="cpu", weights_only=True)
        changed = [k for k in RESUME_KEYS if saved["config"].get(k) != getattr(args, k)]
        if changed:
            parser.error("--resume with different settings: " + ", ".join(
                f"--{k.replace('_', '-')} {saved['config'].get(k)} -> {getattr(args, k)}"
                for k in changed))
    if args.dataset == "cifar10" and args.download:
        try:
            download_cifar10(args.data_dir)
        except (OSError, ValueError) as err:  # network failure or MD5 mismatch
            print(f"error: CIFAR-10 download failed: {err}", file=sys.stderr)
            return 1
    amp = pick_amp_dtype(device, args.amp)
    print(f"device {device}, amp {amp or 'off'}, model {args.model}, dataset {args.dataset}",
          flush=True)
    try:
        result = train(args, device)
    except Diverged as err:
        print(f"error: {err}; stopped. The last good checkpoint is "
              f"{args.out_dir / 'last.pt'}.", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"interrupted; resume with --resume (checkpoint: {args.out_dir / 'last.pt'})",
              file=sys.stderr)
        return 130
    print(f"done: test accuracy {100 * result['test_acc']:.2f}% after {result['steps']} steps "
          f"in {result['seconds']:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
