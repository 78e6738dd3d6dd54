"""What goes wrong when a BN model predicts in training mode (a forgotten model.eval())."""
# --8<-- [start:imports]
import copy

import torch
from torch import nn
# --8<-- [end:imports]
from norm_compare import digits_split, train_mlp


# --8<-- [start:predict]
def predict(model, x, y, batch_size, train_mode, one_class_batches=False):
    """Predictions made batch by batch, in training or evaluation mode; returns (preds, labels).

    one_class_batches=True sorts the inputs by label first, so that (almost) every batch holds a
    single class: each batch comes from a distribution shifted away from the training data's.
    """
    model = copy.deepcopy(model)  # training-mode forwards would overwrite the running stats
    model.train(train_mode)
    if one_class_batches:
        order = torch.argsort(y, stable=True)
        x, y = x[order], y[order]
    n = len(x) // batch_size * batch_size  # drop a last partial batch: it might hold one sample
    with torch.no_grad():
        preds = torch.cat([model(x[i:i + batch_size]).argmax(dim=1)
                           for i in range(0, n, batch_size)])
    return preds, y[:n]


def companion_effect(model, x, train_mode):
    """Largest change in the logits of sample x[0] when its batch-mates are swapped."""
    model = copy.deepcopy(model)
    model.train(train_mode)
    with torch.no_grad():
        a = model(torch.cat([x[:1], x[1:33]]))[0]
        b = model(torch.cat([x[:1], x[33:65]]))[0]
    return (a - b).abs().max().item()
# --8<-- [end:predict]


# --8<-- [start:side-effect]
def running_mean_drift(model, x):
    """How far one training-mode forward, under no_grad, moves the first BN's running_mean."""
    model = copy.deepcopy(model)
    bn = next(m for m in model.modules() if isinstance(m, nn.BatchNorm1d))
    before = bn.running_mean.clone()
    model.train()
    with torch.no_grad():  # no_grad stops gradients, not the buffer update
        model(x)
    return (bn.running_mean - before).abs().max().item()
# --8<-- [end:side-effect]


def pitfall_accuracies(seed=0):
    """Test accuracy of one trained BN model under four ways of predicting."""
    data = digits_split()
    x_test, y_test = data[2], data[3]
    model = train_mlp("batch", batch_size=32, epochs=2, seed=seed, data=data)

    def acc(batch_size, train_mode, sort=False):
        preds, labels = predict(model, x_test, y_test, batch_size, train_mode, sort)
        return (preds == labels).float().mean().item()

    return {"eval mode": acc(64, train_mode=False),
            "train mode, mixed batches of 64": acc(64, train_mode=True),
            "train mode, mixed batches of 4": acc(4, train_mode=True),
            "train mode, one-class batches of 64": acc(64, train_mode=True, sort=True)}


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
    for setting, a in pitfall_accuracies().items():
        print(f"{setting:>36}: test accuracy {a:.3f}")
    torch.manual_seed(0)
    model = train_mlp("batch", batch_size=32, epochs=1)
    x = digits_split()[2]
    print("logit change of one sample when its batch-mates change:",
          f"train mode {companion_effect(model, x, True):.3f},",
          f"eval mode {companion_effect(model, x, False):.3f}")
    print(f"running_mean moved by {running_mean_drift(model, x):.3f}",
          "after one no_grad forward in train mode")
    model.train()
    try:
        model(x[:1])
    except ValueError as err:
        print("batch of one in train mode:", f"{type(err).__name__}: {err}")
