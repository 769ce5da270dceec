// Fine-tuning throughput on the example CNN, side by side in one run: tfjs-layers `fit` on the
// cpu backend (a few steps: it is slow), Quench's fast path (src/engine/train) on wasm and cpu,
// and PyTorch CPU (bench/pytorch/train_reference.py, skipped with a note when torch is absent).
// All train blocks 4-6 + output with 80%-pruned masks on conv5, conv6 and output (AFCC's default
// layer choice), SGD Nesterov, batch 64.
//   node --import tsx bench/train.ts [--samples 1024] [--smoke]
// --smoke (or QUENCH_BENCH_SMOKE=1): a few steps of PyTorch and the wasm fast path only, to prove it runs.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { openModel } from '../src/engine/formats/index';
import { finetune } from '../src/engine/train/finetune';
import { seededRandom } from '../src/engine/train/options';
import { quietContext } from '../src/engine/jobs/context';
import type { MaskSet } from '../src/engine/prune/types';
import { fashionMnist } from './train-data';

const repoRoot = path.resolve(import.meta.dirname, '..');
const samplesArg = process.argv.indexOf('--samples');
const samples = samplesArg >= 0 ? Number(process.argv[samplesArg + 1]) : 1024;
const exampleModel = path.join(repoRoot, 'examples/fashion-vgg/model.json');
const smoke = process.argv.includes('--smoke') || process.env.QUENCH_BENCH_SMOKE === '1';

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

async function tfjsLayersCpu(steps: number): Promise<number> {
  await tf.setBackend('cpu');
  const { model } = await openModel(exampleModel);
  for (const layer of model.layers) layer.trainable = ['conv4', 'bn4', 'conv5', 'bn5', 'conv6', 'bn6', 'output'].includes(layer.name);
  model.compile({ optimizer: tf.train.momentum(0.01, 0.95, true), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([64 * (steps + 1), 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([64 * (steps + 1)], 0, 10, 'int32') as tf.Tensor1D, 10);
  await model.fit(x.slice(0, 64), y.slice(0, 64), { batchSize: 64, epochs: 1, verbose: 0 });
  const began = performance.now();
  await model.fit(x.slice(64), y.slice(64), { batchSize: 64, epochs: 1, verbose: 0 });
  const perSecond = (64 * steps) / ((performance.now() - began) / 1000);
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
  await measure('PyTorch CPU (2 threads)', pytorch(samples));
  await measure('Quench fast path, wasm', quenchPath('wasm', samples));
  if (!smoke) await measure('Quench fast path, cpu', quenchPath('cpu', 128));
  if (!smoke) await measure('tfjs-layers fit, cpu (1 step)', tfjsLayersCpu(1));
  const torch = typeof rows[0][1] === 'number' ? rows[0][1] : null;
  console.log(`fine-tuning throughput, example CNN, blocks 4-6 + output, batch 64, ${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' / ')}`);
  console.log('| runtime | samples/s | PyTorch ÷ this |');
  console.log('|---|---|---|');
  for (const [name, value] of rows) {
    const ratio = typeof value === 'number' && torch ? (torch / value).toFixed(1) : '—';
    console.log(`| ${name} | ${typeof value === 'number' ? value.toFixed(1) : value} | ${ratio} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
