"""How much one image's normalized output depends on its batchmates: BatchNorm vs GroupNorm."""
import torch
from torch import nn


# --8<-- [start:sensitivity]
def batchmate_sensitivity(norm, batch_size, trials=50, seed=0):
    """Mean |change| of sample 0's output (train mode) when only its batchmates are redrawn."""
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.randn(1, 16, 8, 8, generator=gen)          # the sample we watch
    norm.train()
    outputs = []
    with torch.no_grad():
        for _ in range(trials):
            mates = torch.randn(batch_size - 1, 16, 8, 8, generator=gen)
            outputs.append(norm(torch.cat([x0, mates]))[0])
    outputs = torch.stack(outputs)
    return (outputs - outputs.mean(dim=0)).abs().mean().item()
# --8<-- [end:sensitivity]


def norm_layers(channels=16):
    return {
        "BatchNorm2d": nn.BatchNorm2d(channels),
        "GroupNorm(8 groups)": nn.GroupNorm(8, channels),
        "GroupNorm(1 group) = LayerNorm over C,H,W": nn.GroupNorm(1, channels),
    }


if __name__ == "__main__":
    for name, layer in norm_layers().items():
        row = ", ".join(f"B={b}: {batchmate_sensitivity(layer, b):.4f}" for b in (2, 8, 32))
        print(f"{name:42s} {row}")
