"""PyTorch CPU reference for bench/speed.bench.ts: inference throughput (samples/s) of the example
VGG (blocks 32,32M,64,64M,128,128M with BatchNorm + ReLU, bias-free dense 1152->10, softmax) in eval
mode under torch.inference_mode, batch 256 as Quench's evaluate. Random weights and inputs: only
speed is measured. Run with Debian's python3-torch:
  /usr/bin/python3 bench/pytorch/eval_reference.py --threads 2 --samples 10000
Prints one JSON line."""
import argparse, json, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--samples', type=int, default=10000)
p.add_argument('--batch', type=int, default=256)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

def block(cin, cout, pool):
    layers = [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout, eps=1e-5), nn.ReLU()]
    return nn.Sequential(*layers, *([nn.MaxPool2d(2)] if pool else []))

model = nn.Sequential(block(1, 32, False), block(32, 32, True), block(32, 64, False), block(64, 64, True),
                      block(64, 128, False), block(128, 128, True), nn.Flatten(), nn.Linear(1152, 10, bias=False), nn.Softmax(dim=1)).eval()
x = torch.rand(a.samples, 1, 28, 28)

def run(n):
    done = 0
    with torch.inference_mode():
        for i in range(0, n, a.batch):
            model(x[i:i + a.batch]).argmax(1)
            done += min(a.batch, n - i)
    return done

run(2 * a.batch)  # warm-up
t0 = time.perf_counter()
n = run(a.samples)
dt = time.perf_counter() - t0
print(json.dumps({'runtime': f'pytorch {torch.__version__} cpu', 'threads': a.threads, 'samples': n, 'seconds': round(dt, 3), 'samplesPerSecond': round(n / dt, 1)}))
