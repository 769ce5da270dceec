// Table 4b of docs/benchmarks.md: the full SFP analysis of the example model (examples/fashion-vgg)
// on the 10k Fashion-MNIST test set through the engine's analyze job (what `quench analyze` runs),
// timed per stage (wall and CPU seconds), with the per-layer results and the process's peak RSS.
//   node --import tsx bench/analyze.bench.ts [--model examples/fashion-vgg/model.json]
//     [--data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz] [--limit N]
//     [--readout-epochs 5] [--train-data <path>] [--smoke]
// Like `quench analyze`, readouts train on (at most 10k samples of) the training split found beside
// the evaluation data (Fashion-MNIST: train-images-idx3-ubyte.gz), else on 80% of the evaluation
// data. QUENCH_THREADS=1 keeps the forward passes on one thread.
// Its report goes to test-results/bench/analyze.json: within one `npm run bench`, mechanism.bench.ts
// (Table 1) formats it and memory.bench.ts (Table 6) takes its peak RSS instead of re-running it.
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeJob } from '../src/engine/jobs/analyze';
import type { JobContext } from '../src/engine/core/context';
import { analysisInputs, arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, machineLine, repoRoot, smoke, suiteRun, writeResult } from './lib/common';

const model = path.resolve(arg('model', EXAMPLE_MODEL));
// Smoke (`npm run bench -- --smoke`): 100 images of the committed subset, readouts on a split of them.
const data = path.resolve(arg('data', DEFAULT_TEST_DATA));
const limit = Number(arg('limit', smoke ? '100' : '0')) || undefined;
const readoutEpochs = Number(arg('readout-epochs', smoke ? '1' : '5'));
const trainData = arg('train-data', '') || undefined;

async function main(): Promise<void> {
  // CPU seconds per stage (this process, all threads): unlike wall time, not inflated when other
  // work shares the cores. A stage ends when the progress of the next one starts.
  const cpuSeconds = new Map<string, number>();
  const cpuNow = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  let stage = '';
  let stageCpu = cpuNow();
  const endStage = (next: string) => {
    if (stage) cpuSeconds.set(stage, (cpuSeconds.get(stage) ?? 0) + cpuNow() - stageCpu);
    stage = next;
    stageCpu = cpuNow();
  };
  const ctx: JobContext = { signal: new AbortController().signal, progress: (p) => p.stage !== stage && endStage(p.stage), log: () => undefined };
  const machineBefore = machineLine();
  const started = performance.now();
  const cpuStarted = cpuNow();
  const report = await analyzeJob({ model, data, limit, readoutEpochs, trainData }, ctx);
  endStage('');
  const total = (performance.now() - started) / 1000;
  const cpuTotal = cpuNow() - cpuStarted;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const command = `node --import tsx bench/analyze.bench.ts --model ${path.relative(repoRoot, model)} --data ${data}${limit ? ` --limit ${limit}` : ''} --readout-epochs ${readoutEpochs}${trainData ? ` --train-data ${trainData}` : ''}`;
  const sfp = report.sfp;
  // The engine decides whether a helper thread runs the forward passes; the environment can forbid it.
  const oneThread = process.env.QUENCH_THREADS === '1';
  const threadNote = oneThread ? ', one thread (QUENCH_THREADS=1)' : ', helper thread for the forward passes where the engine finds it useful';
  const readouts = report.notes.find((n) => n.startsWith('Training data found'))?.replace(/\.$/, '') ?? (trainData ? `readouts on ${trainData}` : 'readouts on a split of the evaluation data');
  console.log(`${command}\n${machineBefore} before, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' / ')} after, backend ${report.backend}${threadNote}`);
  console.log(`SFP analysis on ${sfp.samples} samples (${sfp.dataSplit}), ${readoutEpochs} readout epochs; ${readouts}; peak RSS ${peakRssMB.toFixed(0)} MB\n`);
  console.log('| stage | wall s | CPU s (this process, all threads) |\n|---|---:|---:|');
  for (const t of report.timings) console.log(`| ${t.stage} | ${t.seconds.toFixed(2)} | ${cpuSeconds.has(t.stage) ? cpuSeconds.get(t.stage)!.toFixed(2) : '—'} |`);
  console.log(`| **total** | **${total.toFixed(2)}** | **${cpuTotal.toFixed(2)}** |\n`);
  console.log('| layer | readout | readout top-1 | mean \\|L\\| | clusters/filter | mean noise | SNR_A | SNR_B | empty |\n|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const l of sfp.layers) {
    const snr = (v: number | null) => (v === null ? '∞' : v.toFixed(2));
    const readout = l.readout === 'own-output' ? 'own output' : l.pooledTo ? `trained, pooled to ${l.pooledTo.join('×')}` : 'trained';
    console.log(`| ${l.name} | ${readout} | ${(l.readoutAccuracy * 100).toFixed(2)}% | ${l.meanLabels.toFixed(2)} | ${l.clustersPerFilter.toFixed(2)} | ${l.meanNoise.toFixed(2)} | ${snr(l.snrA)} | ${snr(l.snrB)} | ${(l.emptyFilters * 100).toFixed(0)}% |`);
  }
  writeResult('analyze', {
    suiteRun, inputs: analysisInputs({ model, data, limit, readoutEpochs, trainData }), command, machine: `${machineBefore}, backend ${report.backend}`,
    wallSeconds: total, cpuSeconds: cpuTotal, stageCpuSeconds: Object.fromEntries(cpuSeconds), peakRssMB, report,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
