"""PyTorch CPU reference for bench/train.ts: fine-tuning throughput (samples/s) of the example VGG
(blocks 32,32M,64,64M,128,128M + bias-free dense), training blocks 4-6 and the output as Quench's
default does (blocks 1-3 frozen, in eval mode), SGD Nesterov (lr 0.01, momentum 0.95, wd 1e-3),
masks re-applied after every step. Random inputs: only speed is measured.
Run with Debian's python3-torch: /usr/bin/python3 bench/pytorch/train_reference.py --threads 2
Prints one JSON line."""
import argparse, json, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--samples', type=int, default=2048)
p.add_argument('--batch', type=int, default=64)
p.add_argument('--full', action='store_true', help='train every layer (no frozen prefix)')
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

def block(cin, cout, pool):
    layers = [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout, eps=1e-5), nn.ReLU()]
    return nn.Sequential(*layers, *( [nn.MaxPool2d(2)] if pool else []))

prefix = nn.Sequential(block(1, 32, False), block(32, 32, True), block(32, 64, False))
trained = nn.Sequential(block(64, 64, True), block(64, 128, False), block(128, 128, True), nn.Flatten(), nn.Linear(1152, 10, bias=False))
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
