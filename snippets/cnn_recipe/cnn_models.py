"""Two image classifiers for the CNN recipe: the two-convolution BN network and a small ResNet."""
# --8<-- [start:imports]
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
# --8<-- [end:imports]


# --8<-- [start:convbn]
class ConvBNNet(nn.Module):
    """conv3x3-BN-ReLU-pool twice, then one linear layer (unpadded convolutions).

    Spatial size: s -> s-2 -> (s-2)//2 -> (s-2)//2-2 -> ((s-2)//2-2)//2, so a 32x32 image ends
    as 6x6 (32->30->15->13->6) and the classifier needs 128*6*6 inputs, not 128*5*5.
    """

    def __init__(self, num_classes=10, in_channels=3, image_size=32):
        super().__init__()
        self.features = nn.Sequential(
            # bias=False: the BN that follows subtracts the mean, so a conv bias would do nothing
            nn.Conv2d(in_channels, 64, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        side = ((image_size - 2) // 2 - 2) // 2
        if side < 1:
            raise ValueError(f"image_size={image_size} is too small for two unpadded convs")
        self.classifier = nn.Linear(128 * side * side, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))
# --8<-- [end:convbn]


# --8<-- [start:resnet]
class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 projection) shortcut."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNetSmall(nn.Module):
    """Stem + three stages (widths w, 2w, 4w; one block each) + global average pooling."""

    def __init__(self, num_classes=10, in_channels=3, width=32):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.stages = nn.Sequential(BasicBlock(width, width, 1),
                                    BasicBlock(width, 2 * width, 2),
                                    BasicBlock(2 * width, 4 * width, 2))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4 * width, num_classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))
# --8<-- [end:resnet]


MODELS = {"convbn": ConvBNNet, "resnet": ResNetSmall}


def build_model(name, num_classes=10, image_size=32):
    if name == "convbn":
        return ConvBNNet(num_classes, image_size=image_size)
    return ResNetSmall(num_classes)


def flops_per_image(model, image_size=32, in_channels=3):
    """Forward FLOPs for one image (a multiply-add counts as 2), as PyTorch's counter sees them."""
    was_training = model.training
    model.eval()
    x = torch.zeros(1, in_channels, image_size, image_size)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    model.train(was_training)
    return counter.get_total_flops()


def train_flops_per_image(model, image_size=32, in_channels=3):
    """Forward + backward FLOPs per image of one training step (cross-entropy loss)."""
    x = torch.zeros(2, in_channels, image_size, image_size)
    with FlopCounterMode(display=False) as counter:
        logits = model(x)
        nn.functional.cross_entropy(logits, torch.zeros(2, dtype=torch.long)).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() // 2


if __name__ == "__main__":
    torch.manual_seed(0)
    for name in MODELS:
        net = build_model(name)
        n_params = sum(p.numel() for p in net.parameters())
        out = net(torch.randn(2, 3, 32, 32))
        print(f"{name:7s} params={n_params:,}  output={tuple(out.shape)}  "
              f"MFLOPs/image: forward {flops_per_image(net) / 1e6:.1f}, "
              f"training step {train_flops_per_image(net) / 1e6:.1f}")
