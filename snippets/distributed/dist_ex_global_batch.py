"""Exercise: 8 GPUs, 32 images each, 4 accumulation steps: the lr, and warmup in steps and micro-batches."""
from dist_large_batch import scaled_lr, warmup_steps

if __name__ == "__main__":
    per_device, world_size, accumulation = 32, 8, 4
    global_batch = per_device * world_size * accumulation  # examples per optimizer step
    steps = warmup_steps(5, 1_281_167, global_batch)
    print(f"global batch {global_batch}: lr {scaled_lr(0.1, 256, global_batch):.2f}, "
          f"warmup {steps} optimizer steps = {steps * accumulation} micro-batches per process")
