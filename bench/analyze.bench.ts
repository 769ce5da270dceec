// Full SFP analysis of the example model (examples/fashion-vgg) on the 10k Fashion-MNIST test set,
// timed per stage (features, readouts, matrices, clusters), with the per-layer results.
//   node --import tsx bench/analyze.bench.ts [--model examples/fashion-vgg/model.json]
//     [--data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz] [--readout-epochs 5]
//     [--train-data <path> | --split]
// Like `quench analyze`, readouts train on (at most 10k samples of) the training split found beside
// the evaluation data (Fashion-MNIST: train-images-idx3-ubyte.gz); --split trains them on 80% of
// the evaluation data instead. QUENCH_SFP_THREADS=1 keeps the forward passes on one thread.
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { findTrainingSplit, openDataset } from '../src/engine/data';
import { outputClasses } from '../src/engine/eval/evaluate';
import { openModel } from '../src/engine/formats';
import type { JobContext } from '../src/engine/jobs/context';
import { analyzeSfp, DEFAULT_SFP, sfpSection } from '../src/engine/sfp/analyze';
import { featureWorkerUseful } from '../src/engine/sfp/featureWorker';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const repoRoot = path.resolve(__dirname, '..');
const modelPath = argument('model', path.join(repoRoot, 'examples/fashion-vgg/model.json'));
const dataPath = argument('data', '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
const split = process.argv.includes('--split');
const epochs = Number(argument('readout-epochs', '5'));

async function main(): Promise<void> {
  const backend = await initBackend();
  const loaded = await openModel(modelPath);
  const expect = { inputShape: loaded.model.inputs[0].shape.slice(1), classes: outputClasses(loaded.model) };
  const data = await openDataset(dataPath, expect);
  const trainPath = split ? '' : argument('train-data', '') || ((await findTrainingSplit(dataPath))?.path ?? '');
  const train = trainPath ? await openDataset(trainPath, { ...expect, split: 'train' }) : undefined;
  const options = { ...DEFAULT_SFP, trainData: train, readout: { ...DEFAULT_SFP.readout, epochs } };
  // CPU seconds per stage (this process, all threads): unlike wall time, not inflated when other
  // work shares the cores. A stage ends when the progress of the next one starts.
  const cpuSeconds = new Map<string, number>();
  const cpuNow = () => process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  let stage = '';
  let stageCpu = cpuNow();
  const endStage = (next: string) => {
    if (stage) cpuSeconds.set(stage, cpuNow() - stageCpu);
    stage = next;
    stageCpu = cpuNow();
  };
  const ctx: JobContext = {
    signal: new AbortController().signal,
    progress: (p) => p.stage !== stage && endStage(p.stage),
    log: () => undefined,
  };
  const loadBefore = os.loadavg();
  const started = performance.now();
  const cpuStarted = cpuNow();
  const analysis = await analyzeSfp(loaded.model, data, options, ctx);
  endStage('');
  const clusterStart = performance.now();
  const section = sfpSection(analysis, options.threshold);
  const clusterSeconds = (performance.now() - clusterStart) / 1000;
  const total = (performance.now() - started) / 1000;
  const cpuTotal = cpuNow() - cpuStarted;
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(', ');
  console.log(`SFP analysis of ${path.relative(repoRoot, modelPath)} on ${analysis.samples} samples of ${dataPath}`);
  console.log(`backend ${backend}${featureWorkerUseful() ? ' + a helper thread for the forward passes' : ', one thread'}, ${epochs} readout epochs, readouts on ${train ? `${Math.min(train.size, options.readoutSamples)} samples of ${trainPath}` : 'an 80/20 split of the same data'}\n`);
  console.log(`${os.cpus().length} cores; load average (1, 5, 15 min) ${load(loadBefore)} before, ${load(os.loadavg())} after\n`);
  console.log('| stage | wall s | CPU s |\n|---|---|---|');
  for (const t of [...analysis.timings, { stage: 'clusters', seconds: clusterSeconds }]) console.log(`| ${t.stage} | ${t.seconds.toFixed(2)} | ${cpuSeconds.has(t.stage) ? cpuSeconds.get(t.stage)!.toFixed(2) : '—'} |`);
  console.log(`| **total** | **${total.toFixed(2)}** | **${cpuTotal.toFixed(2)}** |\n`);
  console.log('| layer | readout | readout top-1 | mean \\|L\\| | clusters/filter | mean noise | SNR_A | SNR_B | empty |\n|---|---|---|---|---|---|---|---|---|');
  for (const l of section.layers) {
    const snr = (v: number | null) => (v === null ? '∞' : v.toFixed(2));
    const readout = l.readout === 'own-output' ? 'own output' : l.pooledTo ? `trained, pooled to ${l.pooledTo.join('×')}` : 'trained';
    console.log(`| ${l.name} | ${readout} | ${(l.readoutAccuracy * 100).toFixed(2)}% | ${l.meanLabels.toFixed(2)} | ${l.clustersPerFilter.toFixed(2)} | ${l.meanNoise.toFixed(2)} | ${snr(l.snrA)} | ${snr(l.snrB)} | ${(l.emptyFilters * 100).toFixed(0)}% |`);
  }
  data.close?.();
  train?.close?.();
  loaded.model.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
