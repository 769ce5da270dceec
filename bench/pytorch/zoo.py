"""The zoo's graph models (test/fixtures/zoo/make-zoo.py: build_resnet, build_mobilenetv2) in plain
torch.nn, layer for layer, for the PyTorch CPU reference of bench/train.ts --model. Same layers,
channels, kernels, strides and biases as the Keras models (Keras 'same' padding as padding=k//2:
same output sizes; Keras pads stride-2 convolutions on the bottom/right only, which changes no
cost). BatchNorm eps 1e-3 as Keras'. The Dense softmax head is a Linear returning logits (the loss
applies the softmax, as Quench's fine-tuning does). Parameter counts (with the BatchNorm moving
statistics, as Keras counts): resnet 22,678, mobilenetv2 22,802 — checked by `count`."""
import torch.nn as nn


def conv_bn(cin, cout, k, stride=1, relu=True):
    """make-zoo.py _conv_bn: Conv2D(k, 'same', no bias) + BatchNormalization (+ ReLU)."""
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-3)]
    return nn.Sequential(*layers, *([nn.ReLU()] if relu else []))


class Residual(nn.Module):
    """make-zoo.py _residual_block: two 3x3 conv+BN, identity or 1x1 stride-s conv+BN shortcut, Add, ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, relu=False))
        self.proj = conv_bn(cin, cout, 1, stride, relu=False) if stride != 1 or cin != cout else None
        self.out = nn.ReLU()

    def forward(self, x):
        return self.out(self.body(x) + (self.proj(x) if self.proj is not None else x))


def resnet():
    """stem 12, block1 12 (identity), block2 24 stride 2, block3 24 stride 2 (projections), GAP, Dense 10."""
    return nn.Sequential(conv_bn(1, 12, 3), Residual(12, 12, 1), Residual(12, 24, 2), Residual(24, 24, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10))


class InvertedResidual(nn.Module):
    """make-zoo.py _inverted_residual: 1x1 expand, BN, ReLU6, depthwise 3x3, BN, ReLU6, 1x1 project, BN (+ Add)."""

    def __init__(self, cin, expansion, cout, stride):
        super().__init__()
        mid = cin * expansion
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid, eps=1e-3), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False), nn.BatchNorm2d(mid, eps=1e-3), nn.ReLU6(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout, eps=1e-3))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def mobilenetv2():
    """Conv1 24 stride 2 + BN + ReLU6, blocks (3, 24, 1), (3, 32, 2), (3, 32, 1), Conv_1 96 + BN + ReLU6, GAP, Dense 10."""
    return nn.Sequential(
        nn.Conv2d(1, 24, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(24, eps=1e-3), nn.ReLU6(),
        InvertedResidual(24, 3, 24, 1), InvertedResidual(24, 3, 32, 2), InvertedResidual(32, 3, 32, 1),
        nn.Conv2d(32, 96, 1, bias=False), nn.BatchNorm2d(96, eps=1e-3), nn.ReLU6(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, 10))


MODELS = {'resnet': resnet, 'mobilenetv2': mobilenetv2}
PARAMS = {'resnet': 22678, 'mobilenetv2': 22802}


def count(model):
    """Parameters plus BatchNorm moving statistics: what Keras' count_params() reports."""
    stats = sum(b.numel() for name, b in model.named_buffers() if name.endswith(('running_mean', 'running_var')))
    return sum(p.numel() for p in model.parameters()) + stats
