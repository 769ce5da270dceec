"""PyTorch CPU reference for bench/speed.bench.ts: inference throughput (samples/s) of the example
VGG (blocks 32,32M,64,64M,128,128M with BatchNorm + ReLU, bias-free dense 1152->10, softmax) in eval
mode under torch.inference_mode, batch 256 as Quench's evaluate. Random weights and inputs: only
speed is measured. Run with Debian's python3-torch:
  /usr/bin/python3 bench/pytorch/eval_reference.py --threads 2 --samples 10000
Prints one JSON line."""
import json, time
import torch
import torch.nn as nn
from vgg import arguments, conv_blocks

a = arguments(samples=10000, batch=256)
model = nn.Sequential(*conv_blocks(), nn.Flatten(), nn.Linear(1152, 10, bias=False), nn.Softmax(dim=1)).eval()
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
