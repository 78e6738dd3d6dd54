"""The source article's CNN as written: its linear layer expects 128*5*5 inputs, 32x32 images give 128*6*6."""
import torch
from torch import nn


class ArticleNet(nn.Module):
    """conv3x3-BN-ReLU-pool twice, then nn.Linear(128 * 5 * 5, 10), as the article has it."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3), nn.BatchNorm2d(128), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(128 * 5 * 5, num_classes)  # the article's size

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def shape_error(batch_size=64, image_size=32):
    """The error PyTorch raises when a batch of 32x32 images reaches the article's linear layer."""
    try:
        ArticleNet()(torch.randn(batch_size, 3, image_size, image_size))
    except RuntimeError as err:
        return f"RuntimeError: {err}"
    return None


if __name__ == "__main__":
    torch.manual_seed(0)
    print(shape_error())
