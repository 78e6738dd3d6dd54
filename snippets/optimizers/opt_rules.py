"""SGD, momentum, Nesterov, Adam, AdamW and AMSGrad written out, beside torch.optim."""
# --8<-- [start:imports]
import torch
# --8<-- [end:imports]


# --8<-- [start:sgd]
def sgd_step(p, g, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    """One step of torch.optim.SGD on tensor p (in place); `state` is p's optimizer state."""
    if weight_decay:
        g = g + weight_decay * p  # L2: the decay joins the gradient
    if momentum:
        if "momentum_buffer" not in state:
            buf = g.clone()  # the first step takes g whole, without dampening
        else:
            buf = momentum * state["momentum_buffer"] + (1 - dampening) * g
        state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    p -= lr * g
# --8<-- [end:sgd]


# --8<-- [start:sutskever]
def sutskever_step(p, g, state, lr, momentum):
    """The textbook form: the velocity stores steps, v <- mu v - lr g, then p <- p + v."""
    v = momentum * state.get("velocity", torch.zeros_like(p)) - lr * g
    state["velocity"] = v
    p += v
# --8<-- [end:sutskever]


# --8<-- [start:adam]
def adam_step(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False, decoupled=False):
    """One step of torch.optim.Adam (decoupled=False) or torch.optim.AdamW (decoupled=True)."""
    beta1, beta2 = betas
    state["step"] = t = state.get("step", 0) + 1
    if decoupled:
        p *= 1 - lr * weight_decay  # AdamW: shrink the weight itself
    elif weight_decay:
        g = g + weight_decay * p  # Adam: L2 in the gradient, rescaled below
    m = state["exp_avg"] = beta1 * state.get("exp_avg", 0) + (1 - beta1) * g
    v = state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0) + (1 - beta2) * g * g
    if amsgrad:  # the largest second moment so far, never one that shrinks
        v = state["max_exp_avg_sq"] = torch.maximum(state.get("max_exp_avg_sq", v), v)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    p -= lr * m_hat / (v_hat.sqrt() + eps)  # eps outside the root, after bias correction
# --8<-- [end:adam]


# --8<-- [start:compare]
def bumpy_loss(p):
    """A smooth, non-quadratic loss of a 5-vector, so that every step sees a new gradient."""
    a = torch.arange(1.0, 6.0, dtype=p.dtype)
    return (a * (p - 1) ** 2).sum() + torch.sin(3 * p).sum()


def run_torch(make_optimizer, steps=50, loss_fn=bumpy_loss, lrs=None):
    """Parameters and optimizer state after each torch.optim step, in float64."""
    p = torch.linspace(-2, 2, 5, dtype=torch.float64).requires_grad_()
    optimizer = make_optimizer([p])
    history = []
    for t in range(steps):
        if lrs is not None:
            optimizer.param_groups[0]["lr"] = lrs[t]
        optimizer.zero_grad()
        loss_fn(p).backward()
        optimizer.step()
        state = {k: v.clone() for k, v in optimizer.state[p].items()}
        history.append((p.detach().clone(), state))
    return history


def run_ours(step_fn, steps=50, loss_fn=bumpy_loss, lrs=None, **hyper):
    """The same run with a from-scratch step function: step_fn(p, g, state, **hyper)."""
    p = torch.linspace(-2, 2, 5, dtype=torch.float64)
    state, history = {}, []
    for t in range(steps):
        if lrs is not None:
            hyper["lr"] = lrs[t]
        x = p.clone().requires_grad_()
        loss_fn(x).backward()
        step_fn(p, x.grad, state, **hyper)
        history.append((p.clone(), {k: v.clone() if torch.is_tensor(v) else v
                                    for k, v in state.items()}))
    return history


def max_gap(ours, theirs):
    """Largest difference, over all steps, in the parameters and in every shared state entry."""
    gap = 0.0
    for (p1, s1), (p2, s2) in zip(ours, theirs, strict=True):
        gap = max(gap, (p1 - p2).abs().max().item())
        for key in s1.keys() & s2.keys():
            gap = max(gap, (torch.as_tensor(s1[key], dtype=torch.float64) - s2[key]).abs().max().item())
    return gap
# --8<-- [end:compare]


if __name__ == "__main__":
    from functools import partial

    cases = {
        "SGD(lr=0.01)": (partial(torch.optim.SGD, lr=0.01), partial(sgd_step, lr=0.01)),
        "SGD(momentum=0.9, dampening=0.1, weight_decay=0.01)": (
            partial(torch.optim.SGD, lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.01),
            partial(sgd_step, lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        "SGD(momentum=0.9, nesterov=True)": (
            partial(torch.optim.SGD, lr=0.01, momentum=0.9, nesterov=True),
            partial(sgd_step, lr=0.01, momentum=0.9, nesterov=True)),
        "Adam(lr=0.05, weight_decay=0.1, amsgrad=True)": (
            partial(torch.optim.Adam, lr=0.05, weight_decay=0.1, amsgrad=True),
            partial(adam_step, lr=0.05, weight_decay=0.1, amsgrad=True)),
        "AdamW(lr=0.05, weight_decay=0.1)": (
            partial(torch.optim.AdamW, lr=0.05, weight_decay=0.1),
            partial(adam_step, lr=0.05, weight_decay=0.1, decoupled=True)),
    }
    for name, (make, step) in cases.items():
        gap = max_gap(run_ours(step), run_torch(make))
        print(f"{name:52s} max |ours - torch| over 50 steps = {gap:.1e}")
