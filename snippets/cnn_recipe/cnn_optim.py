"""Optimizer, per-step warmup + cosine schedule, mixed precision and the clipped training step."""
# --8<-- [start:imports]
import math

import torch
import torch.nn.functional as F
# --8<-- [end:imports]


# --8<-- [start:groups]
def param_groups(model, weight_decay):
    """Weight decay on conv/linear weights only; BN scales/shifts and biases (1-D tensors) get none."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model, lr, momentum=0.9, weight_decay=5e-4, nesterov=True):
    return torch.optim.SGD(param_groups(model, weight_decay), lr=lr, momentum=momentum,
                           nesterov=nesterov)
# --8<-- [end:groups]


# --8<-- [start:schedule]
def warmup_cosine_factor(step, warmup_steps, total_steps, start_factor=0.1, final_factor=0.0):
    """Multiplier of the base lr at optimizer step `step` (0-based), for stepping once per batch."""
    if step < warmup_steps:  # linear ramp from start_factor to 1
        return start_factor + (1.0 - start_factor) * step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return final_factor + (1.0 - final_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def make_scheduler(optimizer, warmup_steps, total_steps, start_factor=0.1, final_factor=0.0):
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_cosine_factor(step, warmup_steps, total_steps,
                                                     start_factor, final_factor))


def change_peak_lr(optimizer, scheduler, peak_lr):
    """After loading a checkpoint: keep the schedule's shape, scaled to a new peak rate."""
    ratio = peak_lr / scheduler.base_lrs[0]
    scheduler.base_lrs = [peak_lr] * len(scheduler.base_lrs)  # LambdaLR multiplies these
    for group in optimizer.param_groups:
        group["initial_lr"] = peak_lr
        group["lr"] *= ratio  # the current step's rate; step() recomputes from base_lrs
# --8<-- [end:schedule]


# --8<-- [start:amp]
def pick_device(name="auto"):
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_amp_dtype(device, amp="auto"):
    """None (fp32), torch.bfloat16 or torch.float16 for autocast on this device."""
    if amp == "off":
        return None
    if amp == "bf16":
        return torch.bfloat16
    if amp == "fp16":
        return torch.float16
    if device.type == "cuda":  # bf16 keeps fp32's exponent range: no loss scaling needed
        # only native bf16 (compute capability 8.0+): emulated bf16 on older GPUs is slow
        native = torch.cuda.is_bf16_supported(including_emulation=False)
        return torch.bfloat16 if native else torch.float16
    return None  # CPU / MPS: fp32 by default (CPU autocast is rarely faster for small convnets)


def make_scaler(device, amp_dtype):
    """A GradScaler that is active only for fp16, where small gradients would underflow."""
    return torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
# --8<-- [end:amp]


# --8<-- [start:step]
def train_step(model, x, y, optimizer, scaler, amp_dtype, max_grad_norm):
    """One update; returns (loss, grad norm before clipping) as device tensors (no sync).

    max_grad_norm 0 turns clipping off; the norm is still measured and returned.
    """
    with torch.autocast(x.device.type, dtype=amp_dtype or torch.float32,
                        enabled=amp_dtype is not None):
        loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)  # clip the true gradients, not gradients times the loss scale
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm or math.inf)
    scaler.step(optimizer)  # skipped by the scaler if fp16 gradients overflowed
    scaler.update()
    return loss.detach(), grad_norm.detach()
# --8<-- [end:step]


if __name__ == "__main__":
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, bias=False), torch.nn.BatchNorm2d(8),
                              torch.nn.Flatten(), torch.nn.Linear(8 * 6 * 6, 10))
    opt = make_optimizer(net, lr=0.1)
    print("groups:", [(len(g["params"]), g["weight_decay"]) for g in opt.param_groups])
    sched = make_scheduler(opt, warmup_steps=5, total_steps=20)
    scaler = make_scaler(torch.device("cpu"), None)
    x, y = torch.randn(16, 3, 8, 8), torch.randint(0, 10, (16,))
    for step in range(20):
        loss, norm = train_step(net, x, y, opt, scaler, None, max_grad_norm=1.0)
        if step % 5 == 0 or step == 19:
            print(f"step {step:2d} lr={sched.get_last_lr()[0]:.4f} loss={loss:.3f} "
                  f"grad_norm={norm:.3f}")
        sched.step()
