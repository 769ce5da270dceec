// Evaluation throughput (samples/s) per backend on a real model over the 10k test set, against
// plain tfjs-layers `model.predict` on the cpu backend, measured in one run (ratios, not absolutes).
// Default: the example model on the Fashion-MNIST test set (Debian's, else the committed 2,000).
// Usage: npx tsx bench/eval.bench.ts [--model <model.json>] [--data <dataset>] [--cpu-samples N] [--smoke]
// --smoke (or QUENCH_BENCH_SMOKE=1): 200 test samples, 32 on the cpu backend.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../src/protocol/report';
import { availableBackends, useBackend } from '../src/engine/backend';
import { openDataset } from '../src/engine/data';
import { evaluate } from '../src/engine/eval/evaluate';
import { openModel } from '../src/engine/formats';
import { quietContext } from '../src/engine/core/context';
import { arg, EXAMPLE_MODEL, EXAMPLE_TEST_SUBSET, FASHION_TEST, haveFashion, loadAverage, machineLine, repoRoot, smoke } from './lib/common';

const modelPath = arg('model', EXAMPLE_MODEL);
// The 10k test set even in smoke runs (which read only its first 200 images).
const dataPath = arg('data', haveFashion ? FASHION_TEST : EXAMPLE_TEST_SUBSET);
// The cpu backend is ~50x slower on the example: time it on a prefix of the test set, report samples/s.
const cpuSamples = Number(arg('cpu-samples', smoke ? '32' : '256'));
const limit = smoke ? 200 : undefined;

/** A path as the command line would name it: relative inside the repository, absolute outside. */
function shown(file: string): string {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith('..') ? path.resolve(file) : relative;
}

interface Row {
  what: string;
  backend: BackendName;
  samples: number;
  seconds: number;
  top1?: number;
}

async function evaluateOn(backend: BackendName, limit?: number): Promise<Row> {
  await useBackend(backend);
  const loaded = await openModel(modelPath);
  const dataset = await openDataset(dataPath, { inputShape: loaded.model.inputs[0]!.shape.slice(1), classes: 10, limit });
  await evaluate(loaded.model, dataset, quietContext(), { limit: 256 }); // warm-up: kernels, wasm compile
  const started = performance.now();
  const result = await evaluate(loaded.model, dataset, quietContext());
  const seconds = (performance.now() - started) / 1000;
  loaded.model.dispose();
  return { what: 'quench evaluate', backend, samples: result.accuracy.samples, seconds, top1: result.accuracy.top1 };
}

/** The baseline: all samples as one float tensor, model.predict with its default batch size (32). */
async function plainPredict(limit: number): Promise<Row> {
  await useBackend('cpu');
  const loaded = await openModel(modelPath);
  const dataset = await openDataset(dataPath, { inputShape: loaded.model.inputs[0]!.shape.slice(1), classes: 10, limit });
  const parts: tf.Tensor4D[] = [];
  for await (const batch of dataset.batches({ batchSize: limit })) parts.push(batch.x);
  const x = parts[0]!;
  tf.tidy(() => loaded.model.predict(x.slice(0, 32)));
  const started = performance.now();
  const y = loaded.model.predict(x) as tf.Tensor;
  await y.data();
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([x, y]);
  loaded.model.dispose();
  return { what: 'tfjs-layers model.predict', backend: 'cpu', samples: limit, seconds };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const machine = machineLine();
  const backends = availableBackends();
  for (const backend of backends.filter((b) => b !== 'cpu')) rows.push(await evaluateOn(backend, limit));
  rows.push(await evaluateOn('cpu', cpuSamples));
  rows.push(await plainPredict(cpuSamples));
  const baseline = rows[rows.length - 1]!;
  const rate = (r: Row) => r.samples / r.seconds;
  console.log(`node --import tsx bench/eval.bench.ts --model ${shown(modelPath)} --data ${shown(dataPath)} --cpu-samples ${cpuSamples}${smoke ? ' --smoke' : ''}`);
  console.log(`${machine} at the start, load average ${loadAverage()} at the end; backends available: ${backends.join(', ')}; Quench's threads: ${process.env.QUENCH_THREADS ? `QUENCH_THREADS=${process.env.QUENCH_THREADS}` : "the engine's default"}`);
  console.log('| what | backend | samples | seconds | samples/s | vs plain cpu predict | top-1 |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.what} | ${r.backend} | ${r.samples} | ${r.seconds.toFixed(2)} | ${Math.round(rate(r))} | ${(rate(r) / rate(baseline)).toFixed(1)}x | ${r.top1 === undefined ? '-' : r.top1.toFixed(4)} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
