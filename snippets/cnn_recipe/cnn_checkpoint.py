"""Checkpoints that restore a run exactly: model, optimizer, scheduler, scaler, RNG, epoch, step."""
# --8<-- [start:imports]
import os
from pathlib import Path

import torch
# --8<-- [end:imports]

# --8<-- [start:save]
REQUIRED = ("model", "optimizer", "scheduler", "scaler", "rng_cpu", "epoch", "step", "config")


def atomic_save(obj, path):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # atomic: a crash mid-write never leaves a half-written checkpoint


def save_checkpoint(path, *, model, optimizer, scheduler, scaler, epoch, step, config, **extra):
    atomic_save({
        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "epoch": epoch, "step": step, "config": config, **extra,
    }, path)


def read_checkpoint(path):
    """The saved state, or ValueError with a one-line reason if the file is not a checkpoint."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated, another format, or not a torch file at all
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{path} is not a readable checkpoint ({reason})") from None
    missing = [k for k in REQUIRED if not isinstance(state, dict) or k not in state]
    if missing:
        raise ValueError(f"{path} is not a checkpoint of this program (no {', '.join(missing)})")
    return state


def restore_checkpoint(state, *, model, optimizer, scheduler, scaler):
    """Put a read checkpoint back in place: weights, optimizer and scheduler state, RNG."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["rng_cpu"])
    if state.get("rng_cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])
# --8<-- [end:save]


if __name__ == "__main__":
    import tempfile

    torch.manual_seed(0)
    net = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1 + s))
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "last.pt"
        save_checkpoint(path, model=net, optimizer=opt, scheduler=sched, scaler=scaler,
                        epoch=1, step=10, config={"lr": 0.1})
        expected = torch.rand(3)
        torch.manual_seed(123)  # disturb the RNG; loading must put it back
        state = read_checkpoint(path)
        restore_checkpoint(state, model=net, optimizer=opt, scheduler=sched, scaler=scaler)
        print(f"restored epoch={state['epoch']} step={state['step']}; "
              f"RNG restored: {torch.equal(torch.rand(3), expected)}")
