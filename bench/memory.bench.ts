// Table 6 of docs/benchmarks.md — peak RSS of the engine's jobs, each in its own child process
// (process.resourceUsage().maxRSS at the end), against the memory budget (QUENCH_MAX_MEMORY_MB,
// default 2048): SFP analysis and masked fine-tuning on the example model, and the same on a
// VGG-11-sized model (the 10-CL "VGG-11" of METHOD.md §2.3: 64, 64M, 128, 128M, 256, 256, 256M,
// 512, 512, 512M with BatchNorm + ReLU, Dense(2048→100, no bias)) on 32x32x3 inputs with random
// weights and random CIFAR-100-format data — random is fine for memory, not for accuracy.
//   node --import tsx bench/memory.bench.ts [--vgg-samples 256] [--train-samples 2000]
//     [--tasks idle,analyze-example,finetune-example,analyze-vgg11,finetune-vgg11] [--smoke]
//   (a child: node --import tsx bench/memory.bench.ts --child <task> <tmp folder>)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend';
import { saveModel } from '../src/engine/formats';
import { analyzeJob } from '../src/engine/jobs/analyze';
import { pruneJob } from '../src/engine/jobs/prune';
import { memoryBudgetMB } from '../src/engine/limits/budget';
import { writeFashionSubset } from './fashion-subset';
import { analysisInputs, arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, EXAMPLE_TEST_SUBSET, haveFashion, machineLine, sameRunResult, smoke, stageContext, writeResult } from './lib/common';

const exampleData = DEFAULT_TEST_DATA;
// Full size: the whole 10k test set, exactly analyze.bench.ts's run (whose peak RSS is then reused).
const exampleLimit = smoke ? 100 : undefined;
const trainSamples = Number(arg('train-samples', smoke ? '128' : '2000'));
const tasks = arg('tasks', 'idle,analyze-example,finetune-example,analyze-vgg11,finetune-vgg11').split(',');
const vggSamples = Number(arg('vgg-samples', smoke ? '32' : '256'));

/** The 10-CL VGG-11 of METHOD.md §2.3 on 32x32x3, 100 classes, seeded random weights. */
function vgg11(): tf.LayersModel {
  const model = tf.sequential();
  let first = true;
  [64, '64M', 128, '128M', 256, 256, '256M', 512, 512, '512M'].forEach((spec, i) => {
    const filters = typeof spec === 'number' ? spec : Number(spec.slice(0, -1));
    model.add(tf.layers.conv2d({ name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: i }), ...(first ? { inputShape: [32, 32, 3] } : {}) }));
    first = false;
    model.add(tf.layers.batchNormalization({ name: `bn${i + 1}`, axis: 3, epsilon: 1e-5 }));
    model.add(tf.layers.reLU({ name: `relu${i + 1}` }));
    if (typeof spec === 'string') model.add(tf.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2 }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'output', units: 100, useBias: false, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 99 }) }));
  return model;
}

/** CIFAR-100 binary records (coarse label, fine label, 3072 bytes of R, G, B planes), seeded. */
function cifar100Batch(file: string, records: number, seed: number): void {
  const bytes = new Uint8Array(records * 3074);
  let s = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bytes[i] = s >>> 24;
  }
  for (let r = 0; r < records; r++) {
    bytes[r * 3074] = bytes[r * 3074]! % 20;
    bytes[r * 3074 + 1] = (r * 37) % 100;
  }
  writeFileSync(file, bytes);
}

async function child(task: string, tmp: string): Promise<void> {
  await initBackend();
  const ctx = stageContext();
  const started = performance.now();
  const vggModel = path.join(tmp, 'vgg11/model.json');
  const vggData = path.join(tmp, 'cifar100/test.bin');
  const train = path.join(tmp, 'train');
  if (task === 'idle') await tf.ready();
  else if (task === 'analyze-example') await analyzeJob({ model: EXAMPLE_MODEL, data: exampleData, limit: exampleLimit, readoutEpochs: smoke ? 1 : undefined }, ctx);
  else if (task === 'finetune-example') await pruneJob({ model: EXAMPLE_MODEL, data: exampleData, limit: 500, method: 'magnitude', sparsity: 0.8, trainData: train, finetune: { epochs: 1, trainData: train }, dryRun: true }, ctx);
  else if (task === 'analyze-vgg11') await analyzeJob({ model: vggModel, data: vggData, readoutEpochs: 1 }, ctx);
  else if (task === 'finetune-vgg11') await pruneJob({ model: vggModel, data: vggData, method: 'magnitude', sparsity: 0.8, trainData: path.dirname(vggData), finetune: { epochs: 1, trainData: path.dirname(vggData) }, dryRun: true }, ctx);
  else throw new Error(`unknown task ${task}`);
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ task, maxRssMB, seconds: (performance.now() - started) / 1000, tensors: tf.memory().numTensors }));
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-bench-memory-'));
  try {
    if (haveFashion) writeFashionSubset('train', trainSamples, path.join(tmp, 'train'));
    else writeFashionSubset('t10k', Math.min(trainSamples, 2000), path.join(tmp, 'train'), path.dirname(EXAMPLE_TEST_SUBSET));
    await initBackend();
    const model = vgg11();
    await saveModel(model, path.join(tmp, 'vgg11/model.json'), 'tfjs-layers');
    const params = model.countParams();
    model.dispose();
    mkdirSync(path.join(tmp, 'cifar100'));
    // test.bin serves as evaluation and (as train.bin beside it) as training data.
    cifar100Batch(path.join(tmp, 'cifar100/test.bin'), vggSamples, 1);
    cifar100Batch(path.join(tmp, 'cifar100/train.bin'), vggSamples, 2);
    const machine = machineLine();
    const rows = [];
    // Within one `npm run bench`, analyze.bench.ts has just run this analysis in its own process
    // and recorded that process's peak RSS: the same figure this child would measure, so take it
    // rather than spend another minute of both cores.
    const analyzed = sameRunResult<{ peakRssMB: number; wallSeconds: number }>('analyze', analysisInputs({ model: EXAMPLE_MODEL, data: exampleData, limit: exampleLimit }));
    for (const task of tasks) {
      if (task === 'analyze-example' && analyzed) {
        rows.push({ task: `${task} (analyze.bench.ts's process, this run)`, maxRssMB: analyzed.peakRssMB, seconds: analyzed.wallSeconds, tensors: NaN });
        continue;
      }
      const run = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', task, tmp, '--train-samples', String(trainSamples), ...(smoke ? ['--smoke'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (run.status !== 0) throw new Error(`memory child ${task} failed (${run.status ?? run.signal})`);
      rows.push(JSON.parse(run.stdout.trim().split('\n').pop()!) as { task: string; maxRssMB: number; seconds: number; tensors: number });
    }
    const budget = memoryBudgetMB();
    console.log(`node --import tsx bench/memory.bench.ts --tasks ${tasks.join(',')} --train-samples ${trainSamples} --vgg-samples ${vggSamples}${smoke ? ' --smoke' : ''}`);
    console.log(`${machine}; budget ${budget} MB; VGG-11 (10 CL) ${params} params, ${vggSamples} random CIFAR-100-format samples; example: ${exampleLimit ?? 'all 10,000 test'} samples for analysis, ${trainSamples} for fine-tuning\n`);
    console.log('| job (own process) | peak RSS MB | share of budget | seconds |\n|---|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.task} | ${r.maxRssMB.toFixed(0)} | ${((r.maxRssMB / budget) * 100).toFixed(0)}% | ${r.seconds.toFixed(1)} |`);
    writeResult('memory', { machine, budgetMB: budget, vggParams: params, vggSamples, exampleLimit, trainSamples, rows });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf('--child');
(at >= 0 ? child(process.argv[at + 1]!, process.argv[at + 2]!) : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
