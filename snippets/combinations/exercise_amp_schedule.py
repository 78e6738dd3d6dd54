"""Exercise solution: unscale, clip, step, update, and advance the schedule only after a real step."""
import warnings

import torch
from torch import nn


def amp_step(model, optimizer, scheduler, scaler, x, y, max_norm=1.0, guard=True):
    """One mixed-precision update; returns the LR it used, or None if the scaler skipped it."""
    with torch.autocast("cpu", dtype=torch.float16):
        loss = nn.functional.mse_loss(model(x).float(), y)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)  # clip the true gradients, not scale * gradients
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    lr, scale = optimizer.param_groups[0]["lr"], scaler.get_scale()
    scaler.step(optimizer)  # skipped if a gradient is inf or NaN
    scaler.update()  # lowers the scale after a skipped step
    stepped = scaler.get_scale() >= scale
    if stepped or not guard:  # guard=False is the common loop: it advances the schedule anyway
        scheduler.step()
    return lr if stepped else None


def run(guard, steps=12, warmup=10, seed=0):
    """The LR of every step of a short run whose first steps overflow (None: skipped)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup))
    # a large initial scale makes the first float16 steps overflow, as early steps can in a real run
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**24)
    x, y = torch.randn(64, 8), torch.randn(64, 1)
    return [amp_step(model, optimizer, scheduler, scaler, x, y, guard=guard) for _ in range(steps)]


if __name__ == "__main__":
    for guard in (False, True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lrs = run(guard)
        real = [lr for lr in lrs if lr is not None]
        print(f"guard={guard!s:5}  skipped {lrs.count(None)} of {len(lrs)} steps, "
              f"first real update at LR {real[0]:.1e}, last at {real[-1]:.1e}")
        for warning in caught:
            if "lr_scheduler.step()" in str(warning.message):
                print(f"  {warning.category.__name__}: {warning.message}")
