"""What the common one-line 'Noam' warmup lambda does with LambdaLR: fails at step 0, tiny peak LR."""
# --8<-- [start:imports]
import torch
# --8<-- [end:imports]


# --8<-- [start:lambda]
def noam_factor(step, warmup=4000):
    # The widely copied one-liner: min(step**-0.5, step * warmup**-1.5).
    return min(step ** -0.5, step * warmup ** -1.5)
# --8<-- [end:lambda]


if __name__ == "__main__":
    # --8<-- [start:demo]
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.98))
    try:
        # LambdaLR evaluates the factor at step 0 inside its constructor: 0 ** -0.5.
        torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=noam_factor)
    except ZeroDivisionError as err:
        print("LambdaLR failed at step 0:", f"{type(err).__name__}: {err}")

    # From step 1 on it is a raw multiplier whose maximum is warmup ** -0.5, not 1.
    peak = max(noam_factor(s) for s in range(1, 20001))
    print(f"peak factor {peak:.4f} -> peak LR {3e-4 * peak:.2e} instead of 3e-4")
    # --8<-- [end:demo]
