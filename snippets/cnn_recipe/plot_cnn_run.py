"""Draw loss, validation accuracy, learning rate and gradient norm of a short recipe run on digits."""
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from cnn_train import build_parser, run

# A short CPU run: digits at 16x16 (not 32) so the figure builds in seconds.
ARGV = ["--image-size", "16", "--epochs", "3", "--progress", "off"]
THRESHOLD = build_parser().get_default("max_grad_norm")

with tempfile.TemporaryDirectory() as tmp:
    run(ARGV + ["--out-dir", tmp])
    records = [json.loads(line) for line in Path(tmp, "metrics.jsonl").read_text().splitlines()]

steps = [r for r in records if r["kind"] == "step"]
epochs = [r for r in records if r["kind"] == "epoch"]
x = [r["step"] for r in steps]

fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True)
(ax_loss, ax_acc), (ax_lr, ax_norm) = axes
ax_loss.plot(x, [r["loss"] for r in steps], color="tab:blue")
ax_loss.set_title("Training loss (per step)")
ax_acc.plot([r["step"] for r in epochs], [100 * r["val_acc"] for r in epochs], "o-",
            color="tab:green")
ax_acc.set_title("Validation accuracy (per epoch)")
ax_acc.set_ylabel("accuracy (%)")
ax_lr.plot(x, [r["lr"] for r in steps], color="tab:orange")
ax_lr.set_title("Learning rate: warmup, then cosine")
ax_norm.plot(x, [r["grad_norm"] for r in steps], color="tab:red", label="norm before clipping")
ax_norm.axhline(THRESHOLD, color="black", linestyle="--", label="clipping threshold")
ax_norm.set_title("Gradient norm (per step)")
ax_norm.legend()
for ax in (ax_lr, ax_norm):
    ax.set_xlabel("optimizer step")
for ax in axes.flat:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
