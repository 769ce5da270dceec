"""PyTorch CPU reference for bench/train.ts: fine-tuning throughput (samples/s) of the example VGG
(blocks 32,32M,64,64M,128,128M + bias-free dense), training blocks 4-6 and the output as Quench's
default does (blocks 1-3 frozen, in eval mode), SGD Nesterov (lr 0.01, momentum 0.95, wd 1e-3),
masks re-applied after every step. Random inputs: only speed is measured.
Run with Debian's python3-torch: /usr/bin/python3 bench/pytorch/train_reference.py --threads 2
Prints one JSON line."""
import json, time
import torch
import torch.nn as nn
from vgg import arguments, conv_blocks

a = arguments(samples=2048, batch=64, extra=lambda p: p.add_argument('--full', action='store_true', help='train every layer (no frozen prefix)'))
blocks = conv_blocks()
prefix = nn.Sequential(*blocks[:3])
trained = nn.Sequential(*blocks[3:], nn.Flatten(), nn.Linear(1152, 10, bias=False))
masks = {trained[1][0].weight: (torch.rand_like(trained[1][0].weight) > 0.8).float(),
         trained[2][0].weight: (torch.rand_like(trained[2][0].weight) > 0.8).float(),
         trained[4].weight: (torch.rand_like(trained[4].weight) > 0.8).float()}
params = list(trained.parameters()) + (list(prefix.parameters()) if a.full else [])
opt = torch.optim.SGD(params, lr=0.01, momentum=0.95, nesterov=True, weight_decay=1e-3)
x = torch.rand(a.samples, 1, 28, 28)
y = torch.randint(0, 10, (a.samples,))
loss_fn = nn.CrossEntropyLoss()

def run(n):
    prefix.train(a.full)
    trained.train()
    done = 0
    for i in range(0, n - a.batch + 1, a.batch):
        xb, yb = x[i:i + a.batch], y[i:i + a.batch]
        if a.full:
            h = prefix(xb)
        else:
            with torch.no_grad():
                h = prefix(xb)
        loss = loss_fn(trained(h), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            for w, m in masks.items():
                w.mul_(m)
        done += a.batch
    return done

run(4 * a.batch)  # warm-up
t0 = time.perf_counter()
n = run(a.samples)
dt = time.perf_counter() - t0
print(json.dumps({'runtime': f'pytorch {torch.__version__} cpu', 'threads': a.threads, 'full': a.full, 'samples': n, 'seconds': round(dt, 2), 'samplesPerSecond': round(n / dt, 1)}))
