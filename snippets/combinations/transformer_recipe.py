"""Transformer recipe: a tiny encoder learns to reverse digit sequences with warmup, clipping and AdamW."""
# --8<-- [start:imports]
import torch
from torch import nn

from warmup_schedules import inverse_sqrt_warmup, linear_warmup_cosine
# --8<-- [end:imports]


# --8<-- [start:data]
def reversal_batch(batch_size, seq_len=8, vocab=10, generator=None):
    """Random digit sequences; the target at position i is the input at position seq_len-1-i."""
    x = torch.randint(0, vocab, (batch_size, seq_len), generator=generator)
    return x, x.flip(dims=[1])
# --8<-- [end:data]


# --8<-- [start:model]
class TinyEncoder(nn.Module):
    def __init__(self, vocab=10, seq_len=8, d_model=32, nhead=4, layers=2,
                 norm_first=False, pos_scale=1.0):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        # learned; pos_scale=1.0 starts them at the same scale as the token embeddings
        self.pos = nn.Parameter(pos_scale * torch.randn(seq_len, d_model))
        # norm_first=False (PyTorch's default) is the post-LN layout of the original paper
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model,
                                           dropout=0.0, batch_first=True, norm_first=norm_first)
        final_norm = nn.LayerNorm(d_model) if norm_first else None  # pre-LN ends with a LayerNorm
        self.encoder = nn.TransformerEncoder(layer, num_layers=layers, norm=final_norm,
                                             enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, x):                          # x: (batch, seq_len) token ids
        h = self.encoder(self.tok(x) + self.pos)   # (batch, seq_len, d_model)
        return self.head(h)                        # logits for every position
# --8<-- [end:model]


# --8<-- [start:train]
def train_reversal(steps=200, batch_size=64, lr=3e-3, warmup=30, max_norm=1.0,
                   weight_decay=0.01, schedule="inverse_sqrt", seed=0, **model_options):
    """AdamW + warmup schedule (per step) + norm clipping; returns the model and a history."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = TinyEncoder(**model_options)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98),
                                  weight_decay=weight_decay)
    if schedule == "inverse_sqrt":
        factor = inverse_sqrt_warmup(warmup)
    else:
        factor = linear_warmup_cosine(warmup, steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    history = {"loss": [], "grad_norm": [], "lr": []}
    for _ in range(steps):
        x, y = reversal_batch(batch_size, generator=gen)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        history["lr"].append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()  # once per optimizer step: the schedule is written in steps
        history["loss"].append(loss.item())
        history["grad_norm"].append(norm.item())
    return model, history
# --8<-- [end:train]


# --8<-- [start:evaluate]
@torch.no_grad()
def reversal_accuracy(model, n=1000, seed=123):
    """Fraction of output tokens that are correct on fresh sequences (chance: 1/vocab = 0.1)."""
    x, y = reversal_batch(n, generator=torch.Generator().manual_seed(seed))
    return (model(x).argmax(dim=-1) == y).float().mean().item()
# --8<-- [end:evaluate]


if __name__ == "__main__":
    torch.set_num_threads(1)  # a model this small runs faster on one CPU thread
    for schedule in ["inverse_sqrt", "cosine"]:
        model, hist = train_reversal(schedule=schedule)
        print(f"{schedule:12s} token accuracy {reversal_accuracy(model):.3f} (chance 0.100), "
              f"final loss {hist['loss'][-1]:.3f}, peak lr {max(hist['lr']):.1e}")
