// Table 1 of docs/benchmarks.md — the mechanism (METHOD.md §12.2) on the example model: readout
// accuracy, mean label-set size, noise and SNR per layer, beside METHOD.md §14's figures from an
// independent PyTorch implementation, and the plot docs/sfp-depth.png.
//   node --import tsx bench/mechanism.bench.ts [--model <model.json>] [--data <idx>] [--limit N]
//     [--readout-epochs N] [--from <report.json of `quench analyze --json`>] [--png <file>] [--smoke]
// Inside `npm run bench` it formats the report analyze.bench.ts wrote earlier in the same run when
// that analysis had the same model, data and sizes (test-results/bench/analyze.json).
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AnalyzeReport } from '../src/protocol/report';
import { analyzeJob } from '../src/engine/jobs/analyze';
import { analysisInputs, arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, machineLine, repoRoot, sameRunResult, smoke, stageContext, writeResult } from './lib/common';
import { panelsSvg, svgToPng } from './lib/plot';

/** METHOD.md §14, blocks 1→6 (threshold 0.3). */
export const METHOD_14 = {
  readout: [86.0, 90.3, 91.6, 92.4, 92.8, 92.7],
  meanLabels: [5.3, 4.7, 4.1, 3.9, 3.7, 2.5],
  snrA: [0.78, 0.39, 0.37, 0.34, 0.36, 0.4],
};

async function report(): Promise<{ report: AnalyzeReport; command: string; machine?: string }> {
  const from = arg('from', '');
  if (from) return { report: JSON.parse(readFileSync(from, 'utf8')) as AnalyzeReport, command: `(from ${from})` };
  const model = arg('model', EXAMPLE_MODEL);
  const data = arg('data', DEFAULT_TEST_DATA);
  const limit = Number(arg('limit', smoke ? '300' : '0')) || undefined;
  const readoutEpochs = Number(arg('readout-epochs', smoke ? '1' : '0')) || undefined;
  // Within one `npm run bench`, analyze.bench.ts has run this very analysis (same model, data,
  // sizes, code): format its report rather than spend another minute of both cores on it.
  const earlier = sameRunResult<{ report: AnalyzeReport; command: string; machine: string }>('analyze', analysisInputs({ model, data, limit, readoutEpochs }));
  if (earlier) return { report: earlier.report, command: `${earlier.command}   (analyze.bench.ts earlier in this \`npm run bench\`; its report, not a second run)`, machine: earlier.machine };
  const result = await analyzeJob({ model, data, limit, readoutEpochs }, stageContext());
  const command = `quench analyze ${path.relative(repoRoot, model)} --data ${data}${limit ? ` --limit ${limit}` : ''}${readoutEpochs ? ` --readout-epochs ${readoutEpochs}` : ''} --json`;
  return { report: result, command };
}

async function main(): Promise<void> {
  const { report: r, command, machine: machineAtAnalysis } = await report();
  const machine = machineAtAnalysis ?? machineLine(r.backend);
  const layers = r.sfp.layers;
  const num = (v: number | null) => (v === null ? '∞' : v.toFixed(2));
  console.log(`${command}\n${machine}; ${r.sfp.samples} samples (${r.sfp.dataSplit}), threshold ${r.sfp.threshold}\n`);
  console.log('| block | layer | readout top-1 | §14 readout | mean \\|L\\| | §14 mean \\|L\\| | clusters/filter | mean noise | SNR_A | §14 SNR_A | SNR_B | empty filters |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  layers.forEach((l, i) => {
    const readout = `${(l.readoutAccuracy * 100).toFixed(2)}%${l.readout === 'own-output' ? ' (own output)' : l.pooledTo ? ` (pooled ${l.pooledTo.join('×')})` : ''}`;
    const ref = (values: number[]) => (i < values.length ? values[i]!.toFixed(2) : '—');
    console.log(`| ${i + 1} | ${l.name} | ${readout} | ${ref(METHOD_14.readout)} | ${l.meanLabels.toFixed(2)} | ${ref(METHOD_14.meanLabels)} | ${l.clustersPerFilter.toFixed(2)} | ${l.meanNoise.toFixed(3)} | ${num(l.snrA)} | ${ref(METHOD_14.snrA)} | ${num(l.snrB)} | ${(l.emptyFilters * 100).toFixed(0)}% |`);
  });
  console.log(`\n| stage | seconds |\n|---|---:|\n${r.timings.map((t) => `| ${t.stage} | ${t.seconds.toFixed(2)} |`).join('\n')}`);

  const categories = layers.map((l) => l.name);
  const svg = panelsSvg([
    { title: 'Readout top-1 by depth', yLabel: 'top-1 (%)', categories, series: [
      { name: 'Quench, example model', color: '#1f6feb', values: layers.map((l) => l.readoutAccuracy * 100) },
      { name: 'METHOD.md §14 (PyTorch)', color: '#888', dashed: true, values: METHOD_14.readout.slice(0, layers.length) },
    ] },
    { title: 'Mean label-set size |L|', yLabel: 'labels per filter', categories, yMin: 0, series: [
      { name: 'Quench, example model', color: '#d1242f', values: layers.map((l) => l.meanLabels) },
      { name: 'METHOD.md §14 (PyTorch)', color: '#888', dashed: true, values: METHOD_14.meanLabels.slice(0, layers.length) },
    ] },
    { title: 'Mean noise per filter', yLabel: 'noise (matrix entries)', categories, yMin: 0, series: [
      { name: 'Quench, example model', color: '#8250df', values: layers.map((l) => l.meanNoise) },
    ] },
    { title: 'SNR by depth', yLabel: 'SNR', categories, yMin: 0, series: [
      { name: 'SNR_A', color: '#1a7f37', values: layers.map((l) => l.snrA) },
      { name: 'SNR_B', color: '#bf8700', values: layers.map((l) => l.snrB) },
      { name: 'SNR_A, §14', color: '#888', dashed: true, values: METHOD_14.snrA.slice(0, layers.length) },
    ] },
  ]);
  const png = arg('png', smoke ? path.join(os.tmpdir(), 'quench-bench-smoke-sfp-depth.png') : path.join(repoRoot, 'docs/sfp-depth.png'));
  await svgToPng(svg, png);
  console.log(`\nplot: ${path.relative(process.cwd(), png)}`);
  writeResult('mechanism', { command, machine, layers: layers.map(({ filters: _f, ...rest }) => rest), timings: r.timings });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
