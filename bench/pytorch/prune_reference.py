"""PyTorch reference for docs/benchmarks.md's ONNX section: the same pruning Quench did to the
Fashion-MNIST ResNet that test/fixtures/onnx/make-onnx.py trained and exported, done in PyTorch, with
the same fine-tuning epoch, so top-1 before/after can be read side by side.

Quench prunes fashion-resnet-dynamo.onnx (the dynamo export: BatchNorm folded into the convolutions,
initializers named by module path). The PyTorch side is make-onnx.py's fashion_resnet() with its
BatchNorm layers, weights loaded by name from the BatchNorm-keeping export
(fashion-resnet-torchscript-bn.onnx) -- the same trained network. Quench's pruned file (`--pruned`,
from `quench prune … --out x.onnx`) gives per weight:
  --method magnitude   the sparsity Quench reached; PyTorch computes its own masks at that sparsity
                       (the smallest |w| of the unfolded kernel, torch.nn.utils.prune's L1 rule);
  --method masks       the mask itself (its zeros): for AFCC, whose SFP analysis has no PyTorch
                       implementation here, PyTorch applies Quench's masks to the trained weights
                       (zeros are the same with BatchNorm folded or not: it scales whole channels).
Then one epoch of masked fine-tuning with Quench's defaults (METHOD.md §8) on the layers Quench's
report says it trained (--train-layers, each with its BatchNorm): SGD Nesterov, lr 0.01, momentum
0.95, weight decay 1e-3, batch 64, trained BatchNorm in training mode and the rest in eval mode,
masks re-applied after each step; then the trained BatchNorm layers' statistics re-estimated on 40
training batches (Quench's 'reestimate'). Training data: examples/data's 10,000 training images.
Top-1 on examples/data (2,000 test images, pixels / 255). Prints one JSON line.

    .cache/py/bin/python bench/pytorch/prune_reference.py --pruned /tmp/resnet-afcc.onnx --method masks
"""
import argparse
import importlib.util
import json
import os
import time

import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
spec = importlib.util.spec_from_file_location('make_onnx', os.path.join(REPO, 'test/fixtures/onnx/make-onnx.py'))
make_onnx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_onnx)


def initializers(path):
    """Initializers by name, plus the names Identity nodes give them (exporters share equal tensors so)."""
    graph = onnx.load(path).graph
    values = {t.name: numpy_helper.to_array(t, base_dir=os.path.dirname(path)) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == 'Identity' and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    return values


def top1(model, x, y):
    model.eval()
    with torch.no_grad():
        return float((torch.cat([model(x[i:i + 500]) for i in range(0, len(x), 500)]).argmax(1) == y).float().mean() * 100)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--source', default=os.path.join(REPO, 'test/fixtures/onnx/fashion-resnet-torchscript-bn.onnx'))
    p.add_argument('--pruned', required=True, help="Quench's pruned .onnx of --source")
    p.add_argument('--method', choices=['magnitude', 'masks'], required=True)
    p.add_argument('--train-data', default=os.path.join(REPO, 'examples/data'), help='folder of train-{images,labels}-idx*-ubyte.gz')
    p.add_argument('--train-limit', type=int, default=None)
    p.add_argument('--test-data', default=os.path.join(REPO, 'examples/data'))
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--train-layers', default='layers.1.conv2,layers.1.downsample.0,layers.2.conv1,layers.2.conv2,layers.2.downsample.0,fc',
                   help="modules that train (Quench's report: finetune.trainLayers); each conv's BatchNorm trains with it")
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    model = make_onnx.fashion_resnet()
    weights = initializers(a.source)
    state = model.state_dict()
    missing = [k for k in state if k not in weights and not k.endswith('num_batches_tracked')]
    if missing:
        raise SystemExit(f'{a.source} lacks {missing}: not the BatchNorm-keeping export of fashion_resnet()')
    model.load_state_dict({k: torch.from_numpy(weights[k].copy()) if k in weights else v for k, v in state.items()})

    x_test, y_test = (torch.from_numpy(v) for v in make_onnx.fashion(a.test_data, 't10k'))
    before = top1(model, x_test, y_test)

    pruned = initializers(a.pruned)
    params = dict(model.named_parameters())
    masks, layers = {}, []
    for name, w in params.items():
        if w.dim() < 2 or name not in pruned:
            continue
        zeros = pruned[name] == 0
        sparsity = float(zeros.mean())
        if sparsity == 0:
            continue
        if a.method == 'masks':
            masks[name] = torch.from_numpy(~zeros).float()
        else:
            keep = w.numel() - int(round(sparsity * w.numel()))
            order = w.detach().abs().flatten().argsort(descending=True)
            mask = torch.zeros(w.numel())
            mask[order[:keep]] = 1
            masks[name] = mask.view_as(w)
        layers.append({'weight': name, 'sparsity': round(sparsity, 4)})
    with torch.no_grad():
        for name, m in masks.items():
            params[name].mul_(m)
    total = sum(params[n].numel() for n in masks)
    targeted = sum(float((params[n] == 0).sum()) for n in masks) / max(1, total)
    after_mask = top1(model, x_test, y_test)

    x_train, y_train = (torch.from_numpy(v) for v in make_onnx.fashion(a.train_data, 'train', a.train_limit))
    # Quench trains these layers with BatchNorm folded into their biases; here each conv's own
    # BatchNorm (conv1 -> bn1, downsample.0 -> downsample.1, stem.0 -> stem.1) trains with it.
    modules = dict(model.named_modules())
    trained = []
    for name in a.train_layers.split(','):
        trained.append(name)
        head, _, last = name.rpartition('.')
        partner = f'{head}.{last.replace("conv", "bn")}' if last.startswith('conv') else f'{head}.{int(last) + 1}' if last.isdigit() else None
        if partner and isinstance(modules.get(partner), nn.BatchNorm2d):
            trained.append(partner)
    unknown = [n for n in trained if n not in modules]
    if unknown:
        raise SystemExit(f'no modules {unknown} in fashion_resnet()')
    batch_norms = [modules[n] for n in trained if isinstance(modules[n], nn.BatchNorm2d)]
    for name, w in params.items():
        w.requires_grad_(any(name.startswith(n + '.') for n in trained))
    opt = torch.optim.SGD([w for w in params.values() if w.requires_grad], lr=0.01, momentum=0.95, nesterov=True, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(a.seed)
    started = time.perf_counter()
    for epoch in range(a.epochs):
        model.eval()  # the frozen layers' BatchNorm keeps its statistics, as Quench's frozen layers do
        for m in batch_norms:
            m.train()
        for group in opt.param_groups:
            group['lr'] = 0.01 * 0.975 ** epoch
        order = torch.randperm(len(x_train), generator=g)
        for i in range(0, len(order) - 63, 64):
            idx = order[i:i + 64]
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for name, m in masks.items():
                    params[name].mul_(m)
    # BatchNorm statistics measured afresh with the final weights (cumulative average over 40 batches).
    for m in batch_norms:
        m.reset_running_stats()
        m.momentum = None
    model.eval()
    for m in batch_norms:
        m.train()
    with torch.no_grad():
        order = torch.randperm(len(x_train), generator=g)
        for i in range(40):
            model(x_train[order[i * 64:(i + 1) * 64]])
    seconds = time.perf_counter() - started
    after = top1(model, x_test, y_test)
    print(json.dumps({'runtime': f'pytorch {torch.__version__} cpu', 'method': a.method, 'pruned': os.path.relpath(a.pruned, REPO) if a.pruned.startswith(REPO) else a.pruned,
                      'targetedSparsity': round(targeted, 4), 'top1': {'before': round(before, 2), 'afterMask': round(after_mask, 2), 'afterFinetune': round(after, 2)},
                      'finetune': {'epochs': a.epochs, 'samples': len(x_train), 'trained': trained, 'seconds': round(seconds, 1)}, 'layers': layers}))


if __name__ == '__main__':
    main()
