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
from tqdm import tqdm

from cnn_checkpoint import atomic_save, read_checkpoint, restore_checkpoint, save_checkpoint
from cnn_data import (DataError, DeviceLoader, channel_stats, download_cifar10, find_cifar_dir,
                      load_cifar10, load_digits_images, split_validation)
from cnn_distributed import (World, data_parallel, exit_after_rank_0, mean_over_processes,
                             process_device, process_group, quiet_unless_main, sync_batch_norm,
                             this_process)
from cnn_models import MODELS, build_model
from cnn_optim import (change_peak_lr, make_optimizer, make_scaler, make_scheduler,
                       pick_amp_dtype, pick_device, train_step)
# --8<-- [end:imports]

# --8<-- [start:resume_keys]
# Settings that shape the trajectory: a resumed run must use the same values...
RESUME_KEYS = ("dataset", "model", "image_size", "limit_images", "val_fraction", "epochs",
               "batch_size", "momentum", "nesterov", "weight_decay", "warmup_epochs", "flip",
               "crop_padding", "seed", "amp", "sync_bn")
# ...except these two, which a resume may change (lower them after a divergence); it is logged.
RESUME_CHANGEABLE = ("lr", "max_grad_norm")
# --8<-- [end:resume_keys]


# --8<-- [start:errors]
class UsageError(Exception):
    """Bad input (an option, a file, a folder): main prints it on one line and returns 2."""


class Diverged(RuntimeError):
    def __init__(self, step, epoch, value):
        super().__init__(f"loss became {value} at step {step} (epoch {epoch})")
        self.step, self.epoch = step, epoch
# --8<-- [end:errors]


# --8<-- [start:cli]
class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line through main, instead of argparse's usage + exit
        raise UsageError(message)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action):  # show defaults, except for flags that are off/unset
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def build_parser():
    p = Parser(
        prog="cnn_train.py",
        description="Image classification recipe: batch norm, Nesterov momentum SGD, linear "
                    "warmup into cosine decay (stepped per batch), gradient-norm clipping, "
                    "mixed precision, channels_last and on-device data augmentation.",
        formatter_class=HelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--dataset", choices=["digits", "cifar10"], default="digits",
                   help="digits: scikit-learn's bundled 8x8 digits, upsampled (offline); "
                        "cifar10: the python-format batches in --data-dir")
    d.add_argument("--data-dir", type=Path, default=None,
                   help="cifar10 only: folder with data_batch_1..5 and test_batch (or "
                        "cifar-10-batches-py/); default data/cifar10")
    d.add_argument("--download", action="store_true",
                   help="cifar10 only: download CIFAR-10 into --data-dir first and check its MD5")
    d.add_argument("--image-size", type=int, default=32,
                   help="side the digits are upsampled to (CIFAR-10 is always 32)")
    d.add_argument("--limit-images", type=int, default=0, metavar="N",
                   help="use only the first N training images (before the validation split) "
                        "and N test images (0: all); quick checks")
    d.add_argument("--val-fraction", type=float, default=0.1,
                   help="share of the training images held out for validation (stratified, "
                        "drawn with --seed); the test set is used once, at the end")
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
    o.add_argument("--batch-size", type=int, default=64,
                   help="images per step: the global batch, split evenly among the processes "
                        "under torchrun")
    o.add_argument("--lr", type=float, default=0.02, help="peak learning rate (after warmup)")
    o.add_argument("--momentum", type=float, default=0.9, help="SGD momentum, in [0, 1)")
    o.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=True,
                   help="Nesterov momentum")
    o.add_argument("--weight-decay", type=float, default=5e-4,
                   help="L2 weight decay on conv/linear weights (never on BN or biases)")
    o.add_argument("--warmup-epochs", type=float, default=1.0,
                   help="linear warmup length (from 0.1 x lr), then cosine decay to 0")
    o.add_argument("--max-grad-norm", type=float, default=20.0,
                   help="clip the global gradient L2 norm to this value (0: no clipping)")
    s = p.add_argument_group("speed")
    s.add_argument("--device", default="auto",
                   help="auto (cuda, then mps, then cpu), or a torch device such as cuda:1")
    s.add_argument("--amp", choices=["auto", "off", "bf16", "fp16"], default="auto",
                   help="autocast dtype; auto: bf16 on GPUs that support it, else fp16 with a "
                        "gradient scaler; fp32 (off) on cpu and mps")
    s.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True,
                   help="NHWC memory layout (faster convolutions on tensor-core GPUs)")
    s.add_argument("--compile", action="store_true", help="torch.compile the model")
    s.add_argument("--sync-bn", action="store_true",
                   help="under torchrun on GPUs: BN statistics over the global batch "
                        "(SyncBatchNorm) instead of each process's share")
    r = p.add_argument_group("run")
    r.add_argument("--out-dir", type=Path, default=Path("runs/cnn"),
                   help="where last.pt (checkpoint), best.pt (best validation accuracy) and "
                        "metrics.jsonl go; a new run replaces them")
    r.add_argument("--resume", action="store_true",
                   help="continue from OUT_DIR/last.pt with the same settings; only --lr and "
                        "--max-grad-norm may change (lower them after a divergence)")
    r.add_argument("--seed", type=int, default=0,
                   help="seed for weights, validation split, data order, augmentation")
    r.add_argument("--log-every", type=int, default=20,
                   help="steps between host syncs (metrics write-out, NaN check, loss shown)")
    r.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                   help="per-step progress bar on stderr (auto: only when stderr is a "
                        "terminal); the per-epoch lines are always printed")
    g = p.add_argument_group("debugging")
    g.add_argument("--debug-inject-nan-at-step", type=int, default=0, metavar="STEP",
                   help="feed NaN images at this step (1-based; 0: never) to test the "
                        "divergence stop")
    return p
# --8<-- [end:cli]


def check_args(args, world=World()):
    """Reject bad settings with a UsageError before anything runs; returns the device."""
    def bad(name, rule):
        return UsageError(f"--{name.replace('_', '-')} must be {rule}, got {getattr(args, name)}")
    for name in ("epochs", "batch_size", "log_every", "image_size"):
        if getattr(args, name) < 1:
            raise bad(name, "at least 1")
    for name in ("crop_padding", "limit_images", "debug_inject_nan_at_step"):
        if getattr(args, name) < 0:
            raise bad(name, ">= 0")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise bad("lr", "a positive finite number")
    for name in ("weight_decay", "warmup_epochs", "max_grad_norm"):
        if not (math.isfinite(getattr(args, name)) and getattr(args, name) >= 0):
            raise bad(name, "a finite number >= 0")
    if not 0 <= args.momentum < 1:  # momentum 1 never forgets a gradient
        raise bad("momentum", "in [0, 1)")
    if not 0 < args.val_fraction < 1:
        raise bad("val_fraction", "between 0 and 1")
    if args.nesterov and args.momentum == 0:
        raise UsageError("--nesterov needs --momentum > 0 (or pass --no-nesterov)")
    if args.warmup_epochs > args.epochs:
        raise UsageError(f"--warmup-epochs {args.warmup_epochs:g} is longer than the run "
                         f"(--epochs {args.epochs})")
    if args.model == "convbn" and args.image_size < 10:
        raise UsageError("--model convbn needs --image-size >= 10")
    check_data_args(args)
    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise UsageError(f"--out-dir {args.out_dir} is a file, not a folder")
    if args.resume and not (args.out_dir / "last.pt").is_file():
        raise UsageError(f"--resume: no checkpoint at {args.out_dir / 'last.pt'} (the first one "
                         f"is written when epoch 1 ends)")
    try:
        device = process_device(pick_device(args.device), world)
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError) as err:
        reason = str(err).splitlines()[0].split(". ")[0]  # first sentence is enough
        raise UsageError(f"--device {args.device} is not usable here: {reason}") from None
    check_world_args(args, world, device)
    return device


def check_world_args(args, world, device):
    """What data-parallel training under torchrun needs of the options."""
    if args.batch_size % world.size:
        raise UsageError(f"--batch-size {args.batch_size} is the global batch and must split "
                         f"evenly among the {world.size} processes")
    if args.sync_bn and device.type != "cuda":
        raise UsageError(f"--sync-bn needs GPUs (SyncBatchNorm refuses {device.type} modules); "
                         f"without it each process normalizes over its share of the batch")
    if world.size > 1 and args.download:
        raise UsageError("--download under torchrun: download once with a single process first, "
                         "then start the processes")
    if world.size > 1 and args.device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"--device {args.device} names one device for all {world.size} "
                         f"processes; use auto or cuda (each process takes the GPU of its rank)")


def check_data_args(args):
    if args.dataset == "digits":
        if args.data_dir is not None or args.download:
            raise UsageError("--data-dir and --download are for --dataset cifar10; the digits "
                             "come with scikit-learn")
        if args.flip is None:
            args.flip = False
        return
    if args.image_size != 32:
        raise UsageError("--image-size applies to digits only (CIFAR-10 images are 32x32)")
    args.data_dir = args.data_dir or Path("data/cifar10")
    if args.data_dir.exists() and not args.data_dir.is_dir():
        raise UsageError(f"--data-dir {args.data_dir} is a file, not a folder")
    if not args.download and find_cifar_dir(args.data_dir) is None:
        raise UsageError(f"no CIFAR-10 python batches (data_batch_1..5, test_batch) in "
                         f"'{args.data_dir}'; pass --download or point --data-dir at them")
    if args.flip is None:
        args.flip = True


def read_resume_state(args):
    """The checkpoint to continue from, once it is known to belong to this run's settings."""
    try:
        state = read_checkpoint(args.out_dir / "last.pt")
    except ValueError as err:
        raise UsageError(f"--resume: {err}") from None
    saved = state["config"]
    changed = [k for k in RESUME_KEYS if saved.get(k) != getattr(args, k)]
    if changed:
        raise UsageError("--resume with different settings: " + ", ".join(
            f"--{k.replace('_', '-')} {saved.get(k)} -> {getattr(args, k)}" for k in changed)
            + " (only --lr and --max-grad-norm may change)")
    return state


# --8<-- [start:helpers]
def load_data(args):
    """(train, validation, test) image/label pairs; DataError if they cannot be used as asked."""
    if args.dataset == "cifar10":
        train, test = load_cifar10(args.data_dir)
    else:
        train, test = load_digits_images(args.image_size)  # a fixed test split, whatever the seed
    if args.limit_images:
        train = tuple(t[:args.limit_images] for t in train)
        test = tuple(t[:args.limit_images] for t in test)
    train, val = split_validation(*train, args.val_fraction, seed=args.seed)
    if len(train[1]) < args.batch_size:
        raise DataError(f"--batch-size {args.batch_size} is more than the {len(train[1])} "
                        f"training images left after the validation split")
    return train, val, test


@torch.no_grad()
def evaluate(model, loader, amp_dtype):
    was_training = model.training
    model.eval()  # BN uses its running statistics
    correct, loss_sum, n = 0, 0.0, 0
    for x, y in loader:
        with torch.autocast(x.device.type, dtype=amp_dtype or torch.float32,
                            enabled=amp_dtype is not None):
            logits = model(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        n += len(y)
    model.train(was_training)
    return correct / n, loss_sum / n


def write_records(path, records, mode="a"):
    if path is None:  # not the main process: rank 0 keeps the log
        return
    with open(path, mode) as f:
        for rec in records:
            f.write(json.dumps(rec) + "\n")


def trim_metrics(path, step, epoch):
    """On resume, drop records written after the checkpoint (they will be produced again)."""
    if path is None or not path.is_file():
        return
    keep = []
    for rec in (json.loads(line) for line in path.read_text().splitlines() if line.strip()):
        if rec["kind"] in ("diverged", "resume"):  # the run's history stays
            keep.append(rec)
        elif rec["kind"] == "step" and rec["step"] <= step:
            keep.append(rec)
        elif rec["kind"] == "epoch" and rec["epoch"] <= epoch:
            keep.append(rec)
    write_records(path, keep, mode="w")


def flush(pending, epoch, metrics_path, world=World()):
    """Copy buffered step values to the host, stop at the first non-finite loss, log the rest.

    The losses are averaged over the processes first: the global batch's loss, so that every
    process stops at the same step.
    """
    values = torch.stack([torch.stack([loss.float(), norm.float()])
                          for _, _, loss, norm in pending])
    values = mean_over_processes(values, world).tolist()
    records = []
    for (step, lr, _, _), (loss, norm) in zip(pending, values):
        if not math.isfinite(loss):
            write_records(metrics_path, records + [
                {"kind": "diverged", "step": step, "epoch": epoch, "loss": str(loss)}])
            raise Diverged(step, epoch, loss)
        records.append({"kind": "step", "step": step, "epoch": epoch, "loss": loss, "lr": lr,
                        "grad_norm": norm})
    write_records(metrics_path, records)
    return records
# --8<-- [end:helpers]


# --8<-- [start:train]
def train(args, device, data, resume=None, on_step=None, world=World()):
    """The whole run. Raises Diverged on a non-finite loss (the last good checkpoint stays).

    Under torchrun every process runs this on its share of each batch; rank 0 alone validates,
    logs, saves and tests (the others return None).
    """
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # pick the fastest conv kernels for fixed shapes
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data
    mean, std = channel_stats(x_train)
    common = dict(device=device, mean=mean, std=std, channels_last=args.channels_last)
    train_loader = DeviceLoader(x_train, y_train, args.batch_size, train=True,
                                padding=args.crop_padding, flip=args.flip, seed=args.seed,
                                rank=world.rank, world_size=world.size, **common)
    val_loader = (DeviceLoader(x_val, y_val, 512, train=False, **common)
                  if world.is_main else None)  # only rank 0 validates: no copy on the others

    model = build_model(args.model, num_classes=10, image_size=args.image_size).to(device)
    if args.sync_bn:
        model = sync_batch_norm(model)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    step_model = data_parallel(model, world, device)
    step_model = torch.compile(step_model) if args.compile else step_model
    # rank 0 validates alone: DDP's forward would wait for the other processes
    eval_model = step_model if world.size == 1 else model
    amp_dtype = pick_amp_dtype(device, args.amp)
    optimizer = make_optimizer(model, args.lr, args.momentum, args.weight_decay, args.nesterov)
    steps_per_epoch = len(train_loader)
    scheduler = make_scheduler(optimizer, round(args.warmup_epochs * steps_per_epoch),
                               args.epochs * steps_per_epoch)
    scaler = make_scaler(device, amp_dtype)

    out = args.out_dir
    ckpt_path, best_path = out / "last.pt", out / "best.pt"
    metrics_path = out / "metrics.jsonl" if world.is_main else None
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    start_epoch, step, best = 0, 0, None
    if resume is not None:
        restore_checkpoint(resume, model=model, optimizer=optimizer, scheduler=scheduler,
                           scaler=scaler)
        start_epoch, step, best = resume["epoch"], resume["step"], resume.get("best")
        trim_metrics(metrics_path, step, start_epoch)
        changed = {k: [resume["config"][k], config[k]] for k in RESUME_CHANGEABLE
                   if resume["config"][k] != config[k]}
        if "lr" in changed:
            change_peak_lr(optimizer, scheduler, args.lr)
        write_records(metrics_path, [{"kind": "resume", "epoch": start_epoch, "step": step,
                                      "changed": changed}])

    show = world.is_main and (args.progress == "on" or
                              (args.progress == "auto" and sys.stderr.isatty()))
    t0 = time.perf_counter()
    for epoch in range(start_epoch + 1, args.epochs + 1):
        train_loader.set_epoch(epoch)
        epoch_start = time.perf_counter()
        bar = tqdm(total=steps_per_epoch * args.batch_size, desc=f"epoch {epoch}/{args.epochs}",
                   unit="img", unit_scale=True, leave=False, disable=not show, file=sys.stderr)
        pending, records = [], []
        for x, y in train_loader:
            step += 1
            if step == args.debug_inject_nan_at_step:
                x = torch.full_like(x, float("nan"))
            lr = optimizer.param_groups[0]["lr"]
            loss, grad_norm = train_step(step_model, x, y, optimizer, scaler, amp_dtype,
                                         args.max_grad_norm)
            scheduler.step()
            bar.update(len(y))
            pending.append((step, lr, loss, grad_norm))
            if len(pending) >= args.log_every or step == epoch * steps_per_epoch:
                records += flush(pending, epoch, metrics_path, world)  # one host sync per flush
                bar.set_postfix(loss=f"{records[-1]['loss']:.4f}")
                pending = []
            if on_step is not None:
                on_step(step)
        bar.close()
        if not world.is_main:
            continue
        seconds = time.perf_counter() - epoch_start
        val_acc, val_loss = evaluate(eval_model, val_loader, amp_dtype)
        if best is None or (val_acc, -val_loss) > (best["val_acc"], -best["val_loss"]):
            best = {"epoch": epoch, "val_acc": val_acc, "val_loss": val_loss}
            atomic_save({"model": model.state_dict(), **best}, best_path)
        epoch_record = {
            "kind": "epoch", "epoch": epoch, "step": step,
            "train_loss": sum(r["loss"] for r in records) / len(records),
            "clipped": (sum(r["grad_norm"] > args.max_grad_norm for r in records) / len(records)
                        if args.max_grad_norm else 0.0),
            "val_loss": val_loss, "val_acc": val_acc,
            "images_per_s": steps_per_epoch * args.batch_size / seconds,
            "time_s": time.perf_counter() - t0}
        write_records(metrics_path, [epoch_record])
        save_checkpoint(ckpt_path, model=model, optimizer=optimizer, scheduler=scheduler,
                        scaler=scaler, epoch=epoch, step=step, config=config, best=best)
        print(f"epoch {epoch}/{args.epochs}  train loss {epoch_record['train_loss']:.4f}  "
              f"val loss {val_loss:.4f}  val acc {100 * val_acc:.2f}%  "
              f"clipped {100 * epoch_record['clipped']:.0f}%  "
              f"{epoch_record['images_per_s']:.0f} img/s", flush=True)

    if not world.is_main:
        return None
    # the test set, once: the weights of the best validation epoch
    best_model = build_model(args.model, num_classes=10, image_size=args.image_size).to(device)
    best_model.load_state_dict(torch.load(best_path, map_location=device,
                                          weights_only=True)["model"])
    if args.channels_last:
        best_model = best_model.to(memory_format=torch.channels_last)
    test_loader = DeviceLoader(x_test, y_test, 512, train=False, **common)
    test_acc, test_loss = evaluate(best_model, test_loader, amp_dtype)
    result = {"best_epoch": best["epoch"], "val_acc": best["val_acc"], "test_acc": test_acc,
              "test_loss": test_loss, "steps": step}
    write_records(metrics_path, [{"kind": "final", **result}])
    save_checkpoint(ckpt_path, model=model, optimizer=optimizer, scheduler=scheduler,
                    scaler=scaler, epoch=args.epochs, step=step, config=config, best=best,
                    result=result)  # a later --resume only reports it
    return {**result, "model": model, "seconds": time.perf_counter() - t0}
# --8<-- [end:train]


def setup(argv, world=World()):
    """Parse and check the command line: (args, device, checkpoint to resume or None)."""
    args = build_parser().parse_args(argv)
    device = check_args(args, world)
    return args, device, read_resume_state(args) if args.resume else None


def run(argv, on_step=None):
    """Check, load and train in this process, raising instead of returning exit codes (tests,
    figures, sweeps)."""
    args, device, resume = setup(argv)
    data = load_data(args)
    prepare_out_dir(args)
    return train(args, device, data, resume, on_step=on_step)


def prepare_out_dir(args):
    """Create --out-dir; a new run starts from empty files (so no message names an old run's)."""
    try:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        if not args.resume:
            for name in ("last.pt", "best.pt"):
                (args.out_dir / name).unlink(missing_ok=True)
            (args.out_dir / "metrics.jsonl").write_text("")
        else:
            (args.out_dir / "metrics.jsonl").touch()
    except OSError as err:
        raise UsageError(f"cannot write to --out-dir {args.out_dir}: {err.strerror or err}") from None


def how_to_continue(args, stopped):
    """One sentence: where the run can go on from, or that it must start again."""
    path = args.out_dir / "last.pt"
    if path.is_file():
        epoch = read_checkpoint(path)["epoch"]
        return f"{stopped}; the last good checkpoint is {path} (end of epoch {epoch})"
    return f"{stopped} before the first checkpoint (written when epoch 1 ends)"


def finished_message(result):
    return (f"best validation accuracy {100 * result['val_acc']:.2f}% (epoch "
            f"{result['best_epoch']}); test accuracy {100 * result['test_acc']:.2f}% with those "
            f"weights, after {result['steps']} steps")


def main(argv=None):
    """Run the command line; returns the exit code (0 done, 1 download failed, 2 bad input,
    3 diverged, 130 interrupted). Every failure is one line on stderr, never a traceback.
    Under torchrun every process runs it and only rank 0 prints."""
    world = this_process()
    with quiet_unless_main(world):
        return exit_after_rank_0(command(argv, world), world)


def command(argv, world):
    prog = build_parser().prog
    try:
        args, device, resume = setup(argv, world)
        if resume is not None and "result" in resume:
            print(f"{args.out_dir} holds a finished run: {finished_message(resume['result'])}")
            return 0
        if args.dataset == "cifar10" and args.download:
            try:
                download_cifar10(args.data_dir)
            except (OSError, ValueError) as err:  # network failure or MD5 mismatch
                print(f"{prog}: error: CIFAR-10 download failed: {err}", file=sys.stderr)
                return 1
        data = load_data(args)
        if world.is_main:
            prepare_out_dir(args)
    except (UsageError, DataError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before training started", file=sys.stderr)
        return 130
    amp = pick_amp_dtype(device, args.amp)
    processes = f" (x {world.size} processes)" if world.size > 1 else ""
    print(f"device {device}{processes}, amp {amp or 'off'}, model {args.model}, dataset "
          f"{args.dataset}: {len(data[0][1])} training, {len(data[1][1])} validation, "
          f"{len(data[2][1])} test images", flush=True)
    if resume is not None:
        changes = "".join(f", --{k.replace('_', '-')} {resume['config'][k]} -> {getattr(args, k)}"
                          for k in RESUME_CHANGEABLE if resume["config"][k] != getattr(args, k))
        print(f"resuming after epoch {resume['epoch']} (step {resume['step']}){changes}",
              flush=True)
    try:
        with process_group(world, device):
            result = train(args, device, data, resume, world=world)
    except Diverged as err:
        again = ("Continue with --resume and" if (args.out_dir / "last.pt").is_file()
                 else "Start again with")
        print(f"{prog}: error: {how_to_continue(args, str(err))}. {again} a lower rate, e.g. "
              f"--lr {args.lr / 2:g} (or a lower --max-grad-norm)", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(how_to_continue(args, "interrupted") + (
            "; continue with --resume" if (args.out_dir / "last.pt").is_file() else ""),
            file=sys.stderr)
        return 130
    except OSError as err:  # the disk filled up or the folder went away mid-run
        print(f"{prog}: error: cannot write to --out-dir {args.out_dir}: {err}",
              file=sys.stderr)
        return 2
    if world.is_main:
        print(f"done: {finished_message(result)}, in {result['seconds']:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
