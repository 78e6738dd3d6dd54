"""Exercise: interrupt a OneCycleLR run halfway and resume it in fresh objects, the curve unchanged."""
import torch
from torch.optim.lr_scheduler import OneCycleLR

from resume_details import run

TOTAL, STOP = 100, 37


def build():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    return optimizer, OneCycleLR(optimizer, max_lr=0.4, total_steps=TOTAL)


def interrupted():
    """Save both states at STOP, rebuild everything as at the start, load both, finish the run."""
    optimizer, scheduler = build()
    lrs = run(optimizer, scheduler, STOP, [])
    checkpoint = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    optimizer, scheduler = build()  # the same arguments as the first time
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return run(optimizer, scheduler, TOTAL - STOP, lrs)


if __name__ == "__main__":
    print("resumed curve equals the uninterrupted one:", interrupted() == run(*build(), TOTAL, []))
