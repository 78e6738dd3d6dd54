"""Pick a clipping threshold from logged norms; sweep it from too small to too large."""

# --8<-- [start:imports]
import torch

from clip_train import final_loss, train

# --8<-- [end:imports]

# --8<-- [start:percentile]
def probe_norms(lr=0.05, steps=300):
    """Total norms of a stable run that only logs, never clips: the probe."""
    return train(lr=lr, steps=steps)["log"].total


def threshold_from_norms(norms, q=0.9):
    """The q-quantile of the finite logged norms: about 1 - q of such steps clip."""
    t = torch.tensor(norms, dtype=torch.float64)
    return torch.quantile(t[torch.isfinite(t)], q).item()


def clipped_fraction(norms, max_norm):
    """Share of steps whose total norm exceeds max_norm (those get scaled down)."""
    return sum(n > max_norm for n in norms) / len(norms)


# --8<-- [end:percentile]


# --8<-- [start:sweep]
def sweep_thresholds(thresholds, lr, steps=300):
    """Final loss and clipped fraction of train() per threshold (None = no clipping)."""
    rows = []
    for c in thresholds:
        run = train(max_norm=c, lr=lr, steps=steps)
        rows.append(
            {
                "max_norm": c,
                "lr": lr,
                "final_loss": final_loss(run),
                "clipped_fraction": run["log"].clipped_fraction(),
            }
        )
    return rows


# --8<-- [end:sweep]


if __name__ == "__main__":
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    probe = probe_norms()
    for q in (0.5, 0.9, 0.99):
        c = threshold_from_norms(probe, q)
        print(
            f"probe p{q * 100:g}: c = {c:.3f}, "
            f"clips {clipped_fraction(probe, c):.1%} of the probe's steps"
        )
    print(f"c = 1 clips {clipped_fraction(probe, 1.0):.1%} of the probe's steps")
    for row in sweep_thresholds([0.003, 0.03, 0.3, 1.0, 3.0, None], lr=0.2):
        print(row)
