"""Exercise: one fixed float16 loss scale for gradients from 1e-8 to 10?"""
import math

import torch

if __name__ == "__main__":
    info = torch.finfo(torch.float16)
    # smallest power of two that lifts 1e-8 to a normal float16 number
    low = math.ceil(math.log2(info.smallest_normal / 1e-8))
    # largest power of two that keeps 10 below float16's max
    high = math.floor(math.log2(info.max / 10))
    print(f"scale >= 2**{low} to keep 1e-8, scale <= 2**{high} to keep 10: "
          f"{'possible' if low <= high else 'no single scale'}")
    print("in bfloat16 both survive unscaled:", torch.tensor([1e-8, 10.0]).bfloat16().tolist())
