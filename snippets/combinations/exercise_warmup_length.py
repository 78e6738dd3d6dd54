"""Exercise solution: the shortest warmup that lets the post-LN tiny Transformer learn at a rate of 0.1."""
import torch

from warmup_ablation import accuracy_after_training


def shortest_warmup(candidates=(3, 10, 30), lr=0.1, target=0.99):
    """The first warmup length in `candidates` that reaches `target` accuracy, and every accuracy tried."""
    tried = {}
    for warmup in candidates:
        tried[warmup] = accuracy_after_training(lr, warmup)
        if tried[warmup] >= target:
            return warmup, tried
    return None, tried


if __name__ == "__main__":
    torch.set_num_threads(1)  # a model this small runs faster on one CPU thread
    shortest, tried = shortest_warmup()
    for warmup, accuracy in tried.items():
        print(f"warmup {warmup:2d} steps: token accuracy {accuracy:.3f}")
    print("shortest warmup that works:", shortest, "steps")
