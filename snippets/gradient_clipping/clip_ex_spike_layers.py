"""Exercise: is the Adam loss spike one layer's doing? Compare per-layer norms before and at it."""
import torch

from clip_spike import first_spike, spike_run


def layer_growth(run, quiet_start=300):
    """Per layer: its peak norm around the first spike over its smallest quiet-stretch norm."""
    spike = first_spike(run["losses"])
    growth = {}
    for layer, norms in run["log"].per_layer.items():
        quiet = min(norms[quiet_start:spike])
        growth[layer] = max(norms[spike - 10 : spike + 10]) / quiet
    return growth


if __name__ == "__main__":
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    for layer, ratio in layer_growth(spike_run()).items():
        print(f"layer {layer}: norm grows {ratio:.0f}x from the quiet stretch to the spike")
