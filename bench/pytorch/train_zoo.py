"""PyTorch CPU reference for bench/train.ts --model <zoo resnet|mobilenetv2>: fine-tuning throughput
(samples/s) of the same architecture (zoo.py), every layer training (BatchNorm in training mode),
SGD Nesterov (lr 0.01, momentum 0.95, weight decay 1e-3), batch 64, 50%-sparse random masks on
every convolution, depthwise and dense kernel re-applied after every step (Quench masks them the
same way in bench/train.ts). Random inputs and labels: only speed is measured. A warm-up of 4
batches is not timed.
  .cache/py/bin/python bench/pytorch/train_zoo.py --model resnet --threads 2 --samples 1024
Prints one JSON line."""
import json, time
import torch
import torch.nn as nn
from vgg import arguments
from zoo import MODELS, PARAMS, count

a = arguments(samples=1024, batch=64, extra=lambda p: p.add_argument('--model', choices=sorted(MODELS), default='resnet'))
model = MODELS[a.model]()
if count(model) != PARAMS[a.model]:
    raise SystemExit(f'{a.model}: {count(model)} parameters, the Keras model has {PARAMS[a.model]}')
kernels = [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
masks = {w: (torch.rand_like(w) < 0.5).float() for w in kernels}
with torch.no_grad():
    for w, m in masks.items():
        w.mul_(m)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.95, nesterov=True, weight_decay=1e-3)
x = torch.rand(a.samples, 1, 28, 28)
y = torch.randint(0, 10, (a.samples,))
loss_fn = nn.CrossEntropyLoss()


def run(n):
    model.train()
    done = 0
    for i in range(0, n - a.batch + 1, a.batch):
        loss = loss_fn(model(x[i:i + a.batch]), y[i:i + a.batch])
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
c0 = time.process_time()
n = run(a.samples)
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
print(json.dumps({'runtime': f'pytorch {torch.__version__} cpu', 'model': a.model, 'params': count(model), 'threads': a.threads, 'samples': n,
                  'seconds': round(dt, 2), 'cpuSeconds': round(cpu, 2), 'samplesPerSecond': round(n / dt, 1)}))
