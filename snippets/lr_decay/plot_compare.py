"""Step, exponential and cosine decay over 100 epochs, from the formulas in schedules.py."""
import matplotlib.pyplot as plt

from schedules import cosine_decay, exponential_decay, step_decay

lr0, epochs = 0.1, 100
t = list(range(epochs))
curves = {
    "Step: ×0.1 every 30 epochs": [step_decay(i, lr0, 30, 0.1) for i in t],
    "Exponential: γ = 0.95": [exponential_decay(i, lr0, 0.95) for i in t],
    "Cosine: T = 100": [cosine_decay(i, lr0, epochs) for i in t],
}

fig, (linear, log) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for label, lrs in curves.items():
    linear.plot(t, lrs, label=label)
    log.plot(t, lrs, label=label)
linear.set_title("Linear scale")
log.set_title("Log scale")
log.set_yscale("log")
for ax in (linear, log):
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Learning rate")
    ax.grid(True, alpha=0.3)
linear.legend()
plt.show()
