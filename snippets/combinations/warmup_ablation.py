"""Does the tiny Transformer need warmup? Post-LN and pre-LN, with and without it, at two rates."""
# --8<-- [start:imports]
import torch

from transformer_recipe import reversal_accuracy, train_reversal
# --8<-- [end:imports]


# --8<-- [start:ablation]
def accuracy_after_training(lr, warmup, norm_first=False, steps=200):
    """Token accuracy after `steps` AdamW steps of linear warmup + cosine decay peaking at `lr`."""
    # cosine, not inverse square root: with warmup=0 only the first steps change
    model, _ = train_reversal(steps=steps, lr=lr, warmup=warmup, schedule="cosine",
                              norm_first=norm_first)
    return reversal_accuracy(model)
# --8<-- [end:ablation]


if __name__ == "__main__":
    torch.set_num_threads(1)  # a model this small runs faster on one CPU thread
    runs = [(3e-3, "post-LN, no warmup", dict(warmup=0)),
            (0.1, "post-LN, no warmup", dict(warmup=0)),
            (0.1, "post-LN, 30 warmup steps", dict(warmup=30)),
            (0.1, "pre-LN, no warmup", dict(warmup=0, norm_first=True))]
    for lr, name, options in runs:
        print(f"lr={lr:<6g} {name:25s} token accuracy {accuracy_after_training(lr, **options):.3f}")
