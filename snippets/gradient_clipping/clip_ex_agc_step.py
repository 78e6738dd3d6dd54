"""Exercise: after AGC, no SGD step moves a unit's weights by more than lr * lambda of their norm."""
import torch

from clip_agc import adaptive_clip_, agc_parameters, exploding_layer_grads, unitwise_norm


def largest_relative_step(lr=0.1, clipping=0.2):
    """Per clipped layer: max over units of ||step_i|| / max(||W_i||, 1e-3) after one SGD step."""
    model = exploding_layer_grads()
    params = agc_parameters(model)
    adaptive_clip_(params, clipping=clipping)
    before = [p.detach().clone() for p in params]
    torch.optim.SGD(params, lr=lr).step()
    ratios = {}
    names = {id(p): name for name, p in model.named_parameters()}
    for p, w in zip(params, before):
        step = unitwise_norm(p.detach() - w) / unitwise_norm(w).clamp(min=1e-3)
        ratios[names[id(p)]] = step.max().item()
    return ratios


for name, ratio in largest_relative_step().items():
    print(f"{name}: largest relative step {ratio:.4f} (bound lr * lambda = 0.02)")
