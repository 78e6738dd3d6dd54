"""When every step is clipped, SGD moves lr*c per step and Adam ignores c altogether."""

# --8<-- [start:imports]
import torch

from clip_train import make_mlp, make_regression

# --8<-- [end:imports]

# --8<-- [start:coupling]
def always_clipped_run(
    optimizer="sgd", lr=0.1, max_norm=1e-3, momentum=0.0, steps=20, seed=0
):
    """Train with c far below every gradient norm; return params, step lengths and gradient norms."""
    torch.manual_seed(seed)
    model = make_mlp()
    x, y = make_regression(n=256, seed=seed)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    params = (
        lambda: torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    )
    step_lengths, norms = [], []
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        norms.append(
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm).item()
        )
        before = params()
        opt.step()
        step_lengths.append((params() - before).norm().item())
    return {"params": params(), "step_lengths": step_lengths, "norms": norms}


# --8<-- [end:coupling]


if __name__ == "__main__":
    a = always_clipped_run("sgd", lr=0.1, max_norm=1e-3)
    b = always_clipped_run("sgd", lr=0.2, max_norm=5e-4)
    print(
        f"smallest unclipped norm {min(a['norms']):.3f} >> c, so every step is clipped"
    )
    print(f"SGD step lengths (lr*c = 1e-4): {a['step_lengths'][:3]}")
    print(
        "SGD (lr=0.1, c=1e-3) vs (lr=0.2, c=5e-4): max param diff "
        f"{(a['params'] - b['params']).abs().max():.2e}"
    )
    c = always_clipped_run("adam", lr=1e-3, max_norm=0.05, steps=10)
    d = always_clipped_run("adam", lr=1e-3, max_norm=0.005, steps=10)
    print(
        f"Adam, lr=1e-3, every step clipped: steps with c=0.05 {c['step_lengths'][:3]}"
    )
    print(
        f"                                   steps with c=0.005 {d['step_lengths'][:3]}"
    )
