"""Clipping under mixed precision: unscale first, then clip, then let GradScaler step."""

# --8<-- [start:imports]
import torch
from torch import nn

# --8<-- [end:imports]

# --8<-- [start:amp_step]
def amp_step(
    model, optimizer, scaler, x, y, max_norm, device_type="cpu", unscale_first=True
):
    """One step with autocast + GradScaler; returns the total norm that clipping saw."""
    with torch.autocast(device_type=device_type, dtype=torch.float16):
        loss = nn.functional.mse_loss(model(x).float(), y)
    optimizer.zero_grad()
    scaler.scale(loss).backward()  # gradients are now multiplied by scaler.get_scale()
    if unscale_first:
        scaler.unscale_(optimizer)  # divide them back in place and record any inf/NaN
    # with unscale_first=False this compares c against scale * ||g||: the wrong order
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)  # skips the step if unscale_ found inf/NaN
    scaler.update()  # halves the scale after a skipped step, grows it slowly
    return norm


# --8<-- [end:amp_step]


def make_amp_setup(lr=0.1, init_scale=2.0**10, seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    # on a GPU: torch.amp.GradScaler("cuda"); the CPU scaler behaves the same way
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale)
    return model, optimizer, scaler


if __name__ == "__main__":
    torch.manual_seed(1)
    x, y = torch.randn(64, 8), 3 * torch.randn(64, 1)
    for unscale_first in (True, False):
        model, opt, scaler = make_amp_setup()
        before = nn.utils.parameters_to_vector(model.parameters()).detach().clone()
        norm = amp_step(
            model, opt, scaler, x, y, max_norm=1.0, unscale_first=unscale_first
        )
        moved = (nn.utils.parameters_to_vector(model.parameters()) - before).norm()
        print(
            f"unscale_ before clipping: {unscale_first!s:5}  "
            f"norm seen by clipping {norm:12.4f}  "
            f"update length {moved:.3e}  (lr * c = 1e-1)"
        )
