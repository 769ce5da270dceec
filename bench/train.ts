// Fine-tuning throughput on the example CNN, side by side in one run: tfjs-layers `fit` on the
// cpu backend, Quench's fast path (src/engine/train) on wasm and cpu, and PyTorch CPU
// (bench/pytorch/train_reference.py, skipped with a note when torch is absent). All train blocks
// 4-6 + output with 80%-pruned masks on conv5, conv6 and output (AFCC's default layer choice),
// SGD Nesterov, batch 64 (tfjs-layers: --fit-batch).
// The two cpu-backend rows are the slow baselines (well under 1 sample/s: a batch of 64 through
// tfjs-layers `fit` took minutes), so they are timed on little data: tfjs-layers one step of
// --fit-batch (16) samples after a warm-up step of 4 (the first `fit` builds the optimizer's
// slots and the gradient functions), the fast path on --cpu-samples (64, one step). Each row's
// label says what was timed; samples/s of a step does not depend on how many steps follow.
//   node --import tsx bench/train.ts [--samples 1024] [--cpu-samples 64] [--fit-batch 16] [--smoke]
// --smoke (or QUENCH_BENCH_SMOKE=1): a few steps of PyTorch and the wasm fast path only, to prove it runs.
//
// Graph models: --model test/fixtures/zoo/resnet.keras (or mobilenetv2.keras; any model of the
// zoo that bench/pytorch/zoo.py also builds) times the same architecture on both sides with every
// layer training (BatchNorm in training mode), 50%-sparse random masks on every convolution,
// depthwise and dense kernel, SGD Nesterov, batch 64 (Quench: the first --samples Fashion-MNIST
// training images; PyTorch: random pixels and labels — speed only): Quench's fast path on wasm against bench/pytorch/train_zoo.py. Only those two rows (the cpu
// backend baselines are the example's). On a busy machine --repeat N alternates PyTorch and
// Quench N times and reports each side's median and the median of the same-round ratios;
// --torch-threads 2,1 adds PyTorch rows with other thread counts.
//   node --import tsx bench/train.ts --model test/fixtures/zoo/resnet.keras [--samples 1024] [--repeat 3] [--torch-threads 2]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { openModel } from '../src/engine/formats/index';
import { finetune } from '../src/engine/train/finetune';
import { seededRandom } from '../src/engine/train/options';
import { quietContext } from '../src/engine/core/context';
import type { MaskSet } from '../src/engine/graph/masks';
import { maskedWeightIndex, networkOf } from '../src/engine/train/network';
import { hasKernel } from '../src/engine/train/steps';
import { fashionMnist } from './train-data';
import { arg, EXAMPLE_MODEL, loadAverage, machineLine, repoRoot, smoke, writeResult } from './lib/common';

const samples = Number(arg('samples', '1024'));
const cpuSamples = Number(arg('cpu-samples', '64'));
const fitBatch = Number(arg('fit-batch', '16'));
const FIT_WARMUP = 4;
const exampleModel = EXAMPLE_MODEL;
const model = path.resolve(arg('model', EXAMPLE_MODEL));
/** The zoo's graph models: the name bench/pytorch/zoo.py knows them by, from the file name. */
const zooName = model === path.resolve(EXAMPLE_MODEL) ? null : path.basename(model).replace(/\.(keras|h5)$|\/model\.json$/, '');
const repeat = Math.max(1, Number(arg('repeat', '1')));
const torchThreads = arg('torch-threads', '2').split(',').map(Number);

function masksFor(model: tf.LayersModel): MaskSet {
  const random = seededRandom(3);
  return ['conv5', 'conv6', 'output'].map((layer) => {
    const shape = model.getLayer(layer).getWeights()[0].shape;
    return { layer, shape, keep: Uint8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() < 0.2 ? 1 : 0)) };
  });
}

async function quenchPath(backend: 'wasm' | 'cpu', n: number): Promise<number> {
  await tf.setBackend(backend);
  const { model } = await openModel(exampleModel);
  const info = await finetune(model, masksFor(model), await fashionMnist('train', undefined, n), { epochs: 1, batchSize: 64, seed: 1 }, quietContext());
  model.dispose();
  return info.samplesPerSecond;
}

/** 50%-sparse random masks on every kernel of the graph (convolution, depthwise, separable's pointwise, dense). */
function allKernelMasks(m: tf.LayersModel): MaskSet {
  const random = seededRandom(3);
  const { steps, layers } = networkOf(m);
  return steps.flatMap((step, i) => {
    if (!hasKernel(step)) return [];
    const shape = layers[i]!.getWeights()[maskedWeightIndex(step)]!.shape;
    return [{ layer: step.layer, shape, keep: Uint8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() < 0.5 ? 1 : 0)) }];
  });
}

/** Quench's fast path on wasm, every layer of a graph model training, masks on every kernel. */
async function quenchGraph(n: number): Promise<number> {
  await tf.setBackend('wasm');
  const { model: m } = await openModel(model);
  const { steps } = networkOf(m);
  const trainLayers = [...new Set(steps.filter((s) => hasKernel(s) || s.kind === 'batchnorm').map((s) => s.layer))];
  // lr 0.01 as train_zoo.py (every layer training would default to 0.001; the rate does not change the speed).
  const info = await finetune(m, allKernelMasks(m), await fashionMnist('train', undefined, n), { epochs: 1, batchSize: 64, seed: 1, trainLayers, learningRate: 0.01 }, quietContext());
  m.dispose();
  return info.samplesPerSecond;
}

/** One timed `fit` step of `batch` samples on the cpu backend, after a warm-up step of FIT_WARMUP. */
async function tfjsLayersCpu(batch: number): Promise<number> {
  await tf.setBackend('cpu');
  const { model } = await openModel(exampleModel);
  for (const layer of model.layers) layer.trainable = ['conv4', 'bn4', 'conv5', 'bn5', 'conv6', 'bn6', 'output'].includes(layer.name);
  model.compile({ optimizer: tf.train.momentum(0.01, 0.95, true), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([FIT_WARMUP + batch, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([FIT_WARMUP + batch], 0, 10, 'int32') as tf.Tensor1D, 10);
  await model.fit(x.slice(0, FIT_WARMUP), y.slice(0, FIT_WARMUP), { batchSize: FIT_WARMUP, epochs: 1, verbose: 0 });
  const began = performance.now();
  await model.fit(x.slice(FIT_WARMUP), y.slice(FIT_WARMUP), { batchSize: batch, epochs: 1, verbose: 0 });
  const perSecond = batch / ((performance.now() - began) / 1000);
  tf.dispose([x, y]);
  model.dispose();
  return perSecond;
}

/** A Python with torch: the repo's venv (.cache/py, `pip install torch`) or Debian's python3-torch. */
function python(): string {
  const candidates = [path.join(repoRoot, '.cache/py/bin/python'), '/usr/bin/python3'].filter((p) => existsSync(p));
  for (const p of candidates) {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' });
      return p;
    } catch {
      // next
    }
  }
  return candidates[0] ?? '/usr/bin/python3';
}

let torchVersion = '';
function pytorch(n: number, threads = 2): number | string {
  try {
    const script = zooName ? ['bench/pytorch/train_zoo.py', '--model', zooName] : ['bench/pytorch/train_reference.py'];
    const out = execFileSync(python(), [path.join(repoRoot, script[0]!), ...script.slice(1), '--threads', String(threads), '--samples', String(n)], { encoding: 'utf8' });
    torchVersion = (JSON.parse(out.trim().split('\n').pop()!) as { runtime: string }).runtime.replace(/^pytorch (\S+) cpu$/, 'PyTorch $1');
    return JSON.parse(out.trim().split('\n').pop()!).samplesPerSecond as number;
  } catch (error) {
    return `skipped: ${(error as Error).message.split('\n')[0]}`;
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]!;

/** --model: PyTorch and Quench alternated `repeat` times on the zoo model, medians and per-pair ratios. */
async function graphMain(): Promise<void> {
  const n = smoke ? 128 : samples;
  const machine = machineLine('wasm');
  const loads = [loadAverage()];
  const torch: number[][] = torchThreads.map(() => []);
  const quench: number[] = [];
  for (let r = 0; r < repeat; r++) {
    for (const [i, threads] of torchThreads.entries()) {
      const value = pytorch(n, threads);
      if (typeof value === 'string') throw new Error(`PyTorch ${value}`);
      torch[i]!.push(value);
      console.error(`round ${r + 1}: PyTorch ${threads} thread(s) ${value.toFixed(1)} samples/s`);
    }
    quench.push(await quenchGraph(n));
    console.error(`round ${r + 1}: Quench ${quench[r]!.toFixed(1)} samples/s; load ${loadAverage()}`);
    loads.push(loadAverage());
  }
  // Per round, each PyTorch row's rate over Quench's in the same round; the table shows their medians.
  const ratios = torch.map((rates) => rates.map((t, r) => t / quench[r]!));
  const fmt = (v: number[]) => `${median(v).toFixed(1)}${v.length > 1 ? ` (${v.map((x) => x.toFixed(1)).join(', ')})` : ''}`;
  const fmtRatio = (v: number[]) => `${median(v).toFixed(2)}${v.length > 1 ? ` (${v.map((x) => x.toFixed(2)).join(', ')})` : ''}`;
  console.log(`\nnode --import tsx bench/train.ts --model ${path.relative(repoRoot, model)} --samples ${n} --repeat ${repeat} --torch-threads ${torchThreads.join(',')}${smoke ? ' --smoke' : ''}`);
  console.log(`fine-tuning throughput, ${zooName}, every layer training (BatchNorm in training mode), 50%-sparse masks on every kernel, SGD Nesterov, batch 64 (Quench: the first ${n} Fashion-MNIST training images; PyTorch: random pixels and labels); PyTorch and Quench alternated ${repeat} time(s); ${machine} at the start, load average at the end of each round: ${loads.slice(1).join('; ')}`);
  console.log('| fine-tuning | samples/s: median (each round) | ÷ Quench, same round: median (each round) |\n|---|---:|---:|');
  torchThreads.forEach((threads, i) => {
    console.log(`| ${torchVersion || 'PyTorch'} CPU, ${threads} thread${threads > 1 ? 's' : ''} (${n} samples, after a 4-batch warm-up) | ${fmt(torch[i]!)} | ${fmtRatio(ratios[i]!)} |`);
  });
  console.log(`| **Quench fast path, wasm, 1 thread (${n} samples)** | **${fmt(quench)}** | 1.00 |`);
  writeResult(`speed-train-${zooName}`, { machine, loads, model: path.relative(repoRoot, model), samples: n, repeat, torchThreads, torch, torchVersion, quench, ratios });
}

async function main(): Promise<void> {
  await tf.ready();
  if (zooName) return graphMain();
  const rows: [string, number | string][] = [];
  const measure = async (name: string, value: Promise<number | string> | number | string) => {
    rows.push([name, await value]);
    console.error(`${name}: ${rows[rows.length - 1][1]}`);
  };
  const machine = machineLine();
  await measure(`PyTorch CPU, 2 threads (${samples} samples)`, pytorch(samples));
  await measure(`Quench fast path, wasm (${samples} samples)`, quenchPath('wasm', samples));
  if (!smoke) await measure(`Quench fast path, cpu backend (${cpuSamples} samples)`, quenchPath('cpu', cpuSamples));
  if (!smoke) await measure(`tfjs-layers \`fit\`, cpu backend (1 step of ${fitBatch} after a ${FIT_WARMUP}-sample warm-up step)`, tfjsLayersCpu(fitBatch));
  const torch = typeof rows[0][1] === 'number' ? rows[0][1] : null;
  console.log(`\nnode --import tsx bench/train.ts --samples ${samples} --cpu-samples ${cpuSamples} --fit-batch ${fitBatch}${smoke ? ' --smoke' : ''}`);
  console.log(`fine-tuning throughput, example CNN, blocks 4-6 + output, 80%-sparse masks on conv5, conv6, output, SGD Nesterov, batch 64; ${machine} at the start, load average ${loadAverage()} at the end`);
  console.log('| fine-tuning | samples/s | PyTorch ÷ this |\n|---|---:|---:|');
  for (const [name, value] of rows) {
    const ratio = typeof value === 'number' && torch ? (torch / value).toFixed(1) : '—';
    console.log(`| ${name} | ${typeof value === 'number' ? value.toFixed(value < 10 ? 2 : 1) : value} | ${ratio} |`);
  }
  writeResult('speed-train', { machine, samples, cpuSamples, fitBatch, fitWarmup: FIT_WARMUP, rows: rows.map(([runtime, value]) => ({ runtime, samplesPerSecond: typeof value === 'number' ? value : null, note: typeof value === 'number' ? undefined : value })) });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
