"""Why float16 needs a GradScaler and bfloat16 does not: their ranges, and a small gradient."""
# --8<-- [start:imports]
import torch
# --8<-- [end:imports]

# --8<-- [start:ranges]
for dtype in (torch.float32, torch.bfloat16, torch.float16):
    info = torch.finfo(dtype)
    # smallest_normal / 2**(mantissa bits) is the smallest subnormal number
    tiny = info.smallest_normal * info.eps
    print(f"{str(dtype):15s} max {info.max:.3g}  smallest normal {info.smallest_normal:.3g}  "
          f"smallest subnormal {tiny:.3g}  eps {info.eps:.3g}")

gradient = torch.tensor(1e-8)  # a small gradient entry, common deep in a large model
print("1e-8 in float16:", gradient.half().item(), "| in bfloat16:", gradient.bfloat16().item())
print("1e-8 * 2**16 in float16:", (gradient * 2**16).half().item())  # GradScaler's default scale
# --8<-- [end:ranges]
