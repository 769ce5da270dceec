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
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { openModel } from '../src/engine/formats/index';
import { finetune } from '../src/engine/train/finetune';
import { seededRandom } from '../src/engine/train/options';
import { quietContext } from '../src/engine/core/context';
import type { MaskSet } from '../src/engine/graph/masks';
import { fashionMnist } from './train-data';
import { arg, EXAMPLE_MODEL, loadAverage, machineLine, repoRoot, smoke, writeResult } from './lib/common';

const samples = Number(arg('samples', '1024'));
const cpuSamples = Number(arg('cpu-samples', '64'));
const fitBatch = Number(arg('fit-batch', '16'));
const FIT_WARMUP = 4;
const exampleModel = EXAMPLE_MODEL;

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

function pytorch(n: number): number | string {
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(repoRoot, 'bench/pytorch/train_reference.py'), '--threads', '2', '--samples', String(n)], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!).samplesPerSecond as number;
  } catch (error) {
    return `skipped: ${(error as Error).message.split('\n')[0]}`;
  }
}

async function main(): Promise<void> {
  await tf.ready();
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
