"""Exercise: run the two fixes three times longer: is the spike gone or only postponed?"""
import torch

from clip_spike import first_spike, spike_run

FIXES = {"eps=1e-3": dict(eps=1e-3), "lr=3e-3": dict(lr=3e-3)}


def first_spikes(steps=3000, run=spike_run):
    """First spike step (None: none) of each fix over `steps` steps."""
    return {name: first_spike(run(steps=steps, **kw)["losses"]) for name, kw in FIXES.items()}


if __name__ == "__main__":
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    for name, step in first_spikes().items():
        print(f"{name}: first spike in 3000 steps at step {step}")
