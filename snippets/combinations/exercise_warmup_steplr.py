"""Exercise solution: a warmup in front of StepLR with SequentialLR, and where the drop lands."""
import torch


def drop_steps(step_size, warmup=30, steps=300, gamma=0.3, lr=1e-2):
    """Steps at which the LR falls under LinearLR warmup, then StepLR(step_size), in SequentialLR."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=lr)
    ramp = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / (warmup + 1),
                                             total_iters=warmup)
    decay = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
    # SequentialLR starts counting the second scheduler's steps at the milestone, from zero
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [ramp, decay], milestones=[warmup])
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return [t for t in range(1, steps) if lrs[t] < lrs[t - 1]]


if __name__ == "__main__":
    print("StepLR(step_size=200) after a 30-step warmup drops at", drop_steps(200))
    print("StepLR(step_size=170) after a 30-step warmup drops at", drop_steps(170))
