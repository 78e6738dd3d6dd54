"""Exercise: linear warmup into cosine decay as one LambdaLR, equal to warmup_cosine at every step."""
import math

from torch.optim.lr_scheduler import LambdaLR

from schedules import torch_schedule
from warmup import warmup_cosine


def warmup_cosine_lambda(optimizer, warmup_steps, total_steps, start_factor=0.01):
    """One factor function: defined at step 0, equal to 1 at the end of warmup, cosine after it."""
    def factor(step):
        if step < warmup_steps:
            return start_factor + (1 - start_factor) * step / warmup_steps
        return 0.5 * (1 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps)))

    return LambdaLR(optimizer, factor)


if __name__ == "__main__":
    ours = torch_schedule(lambda opt: warmup_cosine_lambda(opt, 50, 500), 500)
    theirs = torch_schedule(lambda opt: warmup_cosine(opt, 50, 500), 500)
    print(f"max |LambdaLR - SequentialLR| over 500 steps = {max(abs(a - b) for a, b in zip(ours, theirs)):.1e}")
