// Table 4 of docs/benchmarks.md, evaluation and fine-tuning throughput on the example model as
// ratios measured in one run: plain tfjs-layers `model.predict` on the cpu backend, Quench's
// evaluate on wasm, and PyTorch CPU on the same architecture (bench/pytorch/eval_reference.py,
// random weights; skipped with a note where /usr/bin/python3 has no torch); then bench/train.ts
// for fine-tuning (tfjs-layers cpu, Quench's fast path, PyTorch).
//   node --import tsx bench/speed.bench.ts [--samples 4000] [--cpu-samples 256] [--train-samples 512] [--smoke]
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/engine/backend';
import { openDataset } from '../src/engine/data';
import { evaluate } from '../src/engine/eval/evaluate';
import { openModel } from '../src/engine/formats';
import { quietContext } from '../src/engine/core/context';
import { arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, machineLine, repoRoot, smoke, writeResult } from './lib/common';

const data = DEFAULT_TEST_DATA;
const samples = Number(arg('samples', smoke ? '128' : '4000'));
const cpuSamples = Number(arg('cpu-samples', smoke ? '32' : '256'));
const trainSamples = arg('train-samples', smoke ? '64' : '512');

interface Row { runtime: string; samples: number; seconds: number | null; note?: string }

async function quenchEvaluate(): Promise<Row> {
  await useBackend('wasm');
  const { model } = await openModel(EXAMPLE_MODEL);
  const dataset = await openDataset(data, { inputShape: [28, 28, 1], classes: 10, limit: samples });
  await evaluate(model, dataset, quietContext(), { limit: 256 }); // warm-up: wasm compile, kernels
  const started = performance.now();
  const result = await evaluate(model, dataset, quietContext());
  const seconds = (performance.now() - started) / 1000;
  dataset.close?.();
  model.dispose();
  return { runtime: 'Quench evaluate, wasm (batch 256)', samples: result.accuracy.samples, seconds, note: `top-1 ${(result.accuracy.top1 * 100).toFixed(2)}%` };
}

/** The baseline a user of plain TF.js gets: model.predict on the cpu backend (default batch 32). */
async function tfjsLayersPredict(): Promise<Row> {
  await useBackend('cpu');
  const { model } = await openModel(EXAMPLE_MODEL);
  const x = tf.randomUniform([cpuSamples, 28, 28, 1]);
  tf.tidy(() => model.predict(x.slice(0, 32)));
  const started = performance.now();
  const y = model.predict(x) as tf.Tensor;
  await y.data();
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([x, y]);
  model.dispose();
  return { runtime: 'tfjs-layers model.predict, cpu backend (batch 32)', samples: cpuSamples, seconds };
}

function pytorchEvaluate(): Row {
  const n = Math.min(samples, smoke ? 64 : 5000);
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(repoRoot, 'bench/pytorch/eval_reference.py'), '--threads', '2', '--samples', String(n)], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { runtime: string; samples: number; seconds: number };
    return { runtime: `PyTorch ${result.runtime.split(' ')[1]} CPU, 2 threads (batch 256)`, samples: result.samples, seconds: result.seconds };
  } catch (error) {
    return { runtime: 'PyTorch CPU', samples: 0, seconds: null, note: `skipped: ${(error as Error).message.split('\n')[0]}` };
  }
}

async function main(): Promise<void> {
  const machine = machineLine();
  const rows = [await tfjsLayersPredict(), await quenchEvaluate(), pytorchEvaluate()];
  const rate = (r: Row) => (r.seconds ? r.samples / r.seconds : null);
  const base = rate(rows[0]!)!;
  const torch = rate(rows[2]!);
  console.log(`node --import tsx bench/speed.bench.ts --samples ${samples} --cpu-samples ${cpuSamples} --train-samples ${trainSamples}${smoke ? ' --smoke' : ''}`);
  console.log(`evaluation throughput, example model; ${machine}; Quench's threads: ${process.env.QUENCH_THREADS ? `QUENCH_THREADS=${process.env.QUENCH_THREADS}` : 'the engine\'s default (a helper thread where useful)'}`);
  console.log('| runtime | samples | seconds | samples/s | × tfjs-layers cpu | ÷ PyTorch |\n|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const v = rate(r);
    console.log(`| ${r.runtime} | ${r.samples} | ${r.seconds?.toFixed(2) ?? '—'} | ${v?.toFixed(1) ?? r.note} | ${v ? (v / base).toFixed(1) : '—'} | ${v && torch ? (v / torch).toFixed(2) : '—'} |${r.note && v ? ` ${r.note}` : ''}`);
  }
  writeResult('speed-eval', { machine, rows: rows.map((r) => ({ ...r, samplesPerSecond: rate(r) })) });
  // Fine-tuning: bench/train.ts in its own process (it switches backends and holds its own models).
  const train = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench/train.ts'), '--samples', trainSamples, ...(smoke ? ['--smoke'] : [])], { cwd: repoRoot, stdio: 'inherit' });
  if (train.status !== 0) throw new Error(`bench/train.ts failed (${train.status ?? train.signal})`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
