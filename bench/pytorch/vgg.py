"""Shared by the PyTorch references (eval_reference.py, train_reference.py): their command-line
set-up and the example VGG of examples/fashion-vgg (METHOD.md §12.2: blocks 32, 32M, 64, 64M, 128,
128M, each conv 3x3 + BatchNorm + ReLU, 2x2 max-pool after the M blocks)."""
import argparse
import torch
import torch.nn as nn


def arguments(samples, batch, extra=None):
    """Parses --threads/--samples/--batch (plus what `extra(parser)` adds), then fixes the thread
    count and seeds torch so both references build the same random weights."""
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--samples', type=int, default=samples)
    p.add_argument('--batch', type=int, default=batch)
    if extra:
        extra(p)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    return a


def block(cin, cout, pool):
    layers = [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout, eps=1e-5), nn.ReLU()]
    return nn.Sequential(*layers, *([nn.MaxPool2d(2)] if pool else []))


def conv_blocks():
    """The six conv blocks, in order (the bias-free Dense 1152->10 comes after them)."""
    return [block(1, 32, False), block(32, 32, True), block(32, 64, False), block(64, 64, True),
            block(64, 128, False), block(128, 128, True)]
