"""Weight averaging (SWA) with BN: the averaged weights need their own running statistics."""
# --8<-- [start:imports]
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import DataLoader, TensorDataset

from norm_compare import digits_split, make_mlp  # the data and the BN MLP shown above
# --8<-- [end:imports]


# --8<-- [start:swa]
def train_with_swa(epochs=6, swa_start=1, lr=0.2, weight_decay=1e-2, seed=0, data=None,
                   use_buffers=False):
    """SGD at a high constant learning rate; from epoch swa_start on, average the weights at the
    end of every epoch (SWA). Returns the last model, the averaged model and the loader."""
    x_train, y_train, _, _ = data if data is not None else digits_split()
    torch.manual_seed(seed)
    model = make_mlp("batch")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, drop_last=True)
    # use_buffers=False: average the parameters, copy the buffers (running stats) from `model`;
    # use_buffers=True: average the buffers too
    swa_model = AveragedModel(model, use_buffers=use_buffers)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch >= swa_start:
            swa_model.update_parameters(model)
    return model, swa_model, loader
# --8<-- [end:swa]


# --8<-- [start:evaluate]
def loss_and_accuracy(model, x, y):
    """Cross-entropy and accuracy in evaluation mode (BN uses its running statistics)."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
    return (nn.functional.cross_entropy(logits, y).item(),
            (logits.argmax(dim=1) == y).float().mean().item())


def stale_vs_updated(seed=0):
    """Test loss and accuracy of the last weights, of the averaged weights with the running
    statistics they inherited or averaged, and of the averaged weights after update_bn."""
    data = digits_split()
    x_test, y_test = data[2], data[3]
    _, averaged_buffers, _ = train_with_swa(seed=seed, data=data, use_buffers=True)
    model, swa_model, loader = train_with_swa(seed=seed, data=data)  # the same run again
    results = {"last weights": loss_and_accuracy(model, x_test, y_test),
               "averaged, stale BN statistics": loss_and_accuracy(swa_model, x_test, y_test),
               "averaged, averaged BN statistics": loss_and_accuracy(averaged_buffers, x_test, y_test)}
    update_bn(loader, swa_model)  # one pass in training mode: fresh running statistics
    results["averaged, after update_bn"] = loss_and_accuracy(swa_model, x_test, y_test)
    return results
# --8<-- [end:evaluate]


# --8<-- [start:ema]
def ema_model(model, decay=0.999):
    """Exponential moving average of the weights and of the buffers; call
    ema.update_parameters(model) after every optimizer step."""
    # by keyword: AveragedModel's second positional argument is `device`
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
# --8<-- [end:ema]


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: extra threads cost more than they save
    # --8<-- [start:demo]
    for setting, (loss, acc) in stale_vs_updated().items():
        print(f"{setting:>32}: test loss {loss:.3f}, accuracy {acc:.3f}")
    # --8<-- [end:demo]
