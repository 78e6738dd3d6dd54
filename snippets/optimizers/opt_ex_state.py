"""Exercise: how much memory does each optimizer's state take, per parameter?"""
import torch


def state_numel(make_optimizer):
    """Numbers held in the optimizer state per model parameter, after one step."""
    model = torch.nn.Linear(100, 10)
    optimizer = make_optimizer(model.parameters())
    model(torch.randn(4, 100)).sum().backward()
    optimizer.step()
    held = sum(t.numel() for s in optimizer.state.values() for k, t in s.items() if k != "step")
    return held / sum(p.numel() for p in model.parameters())


for name, make in {"SGD": lambda ps: torch.optim.SGD(ps, lr=0.1),
                   "SGD momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
                   "AdamW": lambda ps: torch.optim.AdamW(ps),
                   "AdamW amsgrad": lambda ps: torch.optim.AdamW(ps, amsgrad=True)}.items():
    print(f"{name:14s} {state_numel(make):.0f} numbers per parameter")
