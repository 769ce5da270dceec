// Tables 4 (end-to-end, by stage) and 5 (structured removal) of docs/benchmarks.md: the engine's
// prune job on the example model as `quench prune` runs it, then the written model against the
// input: params, MACs, file size raw/gzipped and predict latency at batch 1 and 64 (median of
// interleaved calls on wasm, src/engine/prune/latency.ts).
//   A. AFCC at --target-sparsity 0.8, BatchNorm re-estimated, 1 fine-tuning epoch, --structured;
//   B. l1-kernel at --sparsity 0.9, --structured, no fine-tuning (whole kernel slices go, so
//      filters are more likely to lose every connection than under AFCC).
//   node --import tsx bench/prune.bench.ts [--limit 2000] [--train-samples 4000] [--smoke]
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PruneParams } from '../src/protocol/engine';
import type { LatencyInfo, PruneReport } from '../src/protocol/report';
import { useBackend } from '../src/engine/backend';
import { openModel } from '../src/engine/formats';
import { pruneJob } from '../src/engine/jobs/prune';
import { measureLatency } from '../src/engine/prune/latency';
import { writeFashionSubset } from './fashion-subset';
import { arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, haveFashion, machineLine, repoRoot, smoke, stageContext, writeResult } from './lib/common';

const data = DEFAULT_TEST_DATA;
const limit = Number(arg('limit', smoke ? '100' : '2000'));
const trainSamples = Number(arg('train-samples', smoke ? '128' : '4000'));

function command(p: PruneParams): string {
  return [`quench prune ${path.relative(repoRoot, p.model)} --data ${p.data} --limit ${p.limit} --method ${p.method}`,
    p.targetSparsity !== undefined ? `--target-sparsity ${p.targetSparsity}` : '', p.sparsity !== undefined ? `--sparsity ${p.sparsity}` : '',
    p.finetune ? `--train-data ${p.trainData} --finetune-epochs ${p.finetune.epochs}` : '', p.readoutEpochs ? `--readout-epochs ${p.readoutEpochs}` : '',
    '--structured --out <tmp>/pruned/model.json --json'].filter(Boolean).join(' ');
}

async function latency(written: string): Promise<LatencyInfo[]> {
  await useBackend('wasm');
  const [before, after] = [await openModel(EXAMPLE_MODEL), await openModel(written)];
  try {
    return await measureLatency(before.model, after.model, { batches: [1, 64], runs: smoke ? 2 : 15, warmup: smoke ? 1 : 3 });
  } finally {
    before.model.dispose();
    after.model.dispose();
  }
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-bench-prune-'));
  try {
    const trainData = haveFashion ? writeFashionSubset('train', trainSamples, path.join(tmp, 'train')) : undefined;
    const runs: PruneParams[] = [
      { model: EXAMPLE_MODEL, data, limit, method: 'afcc', targetSparsity: 0.8, trainData, readoutEpochs: smoke ? 1 : undefined, ...(trainData ? { finetune: { epochs: 1, trainData } } : {}), structured: true, out: path.join(tmp, 'afcc/model.json') },
      { model: EXAMPLE_MODEL, data, limit, method: 'l1-kernel', sparsity: 0.9, trainData, structured: true, out: path.join(tmp, 'l1/model.json') },
    ];
    const results = [];
    for (const params of runs) {
      const machine = machineLine();
      const report: PruneReport = await pruneJob(params, stageContext());
      const measured = await latency(params.out!);
      results.push({ command: command(params), machine, report, latency: measured });
      const t = report.totals;
      console.log(`\n${command(params)}\n${machine}, backend ${report.backend}`);
      console.log(`top-1 ${(report.accuracy.before.top1 * 100).toFixed(2)}% → masked ${((report.accuracy.afterMask?.top1 ?? NaN) * 100).toFixed(2)}% → BN ${((report.accuracy.afterBnRecalibration?.top1 ?? NaN) * 100).toFixed(2)}% → final ${(report.accuracy.after.top1 * 100).toFixed(2)}%; targeted sparsity ${(report.targetedSparsity * 100).toFixed(1)}%`);
      console.log('| stage | seconds |\n|---|---:|');
      for (const s of report.timings) console.log(`| ${s.stage} | ${s.seconds.toFixed(2)} |`);
      if (report.finetune) console.log(`fine-tuning: ${report.finetune.samplesPerSecond.toFixed(1)} samples/s on ${report.finetune.trainData.samples} samples, layers ${report.finetune.trainLayers.join(', ')}`);
      console.log('| | params | nonzero params | MACs | file bytes | gzipped |\n|---|---:|---:|---:|---:|---:|');
      for (const [name, v] of [['input', t.before], ['written', t.after]] as const) console.log(`| ${name} | ${v.params} | ${v.params - v.zeros} | ${v.macs} | ${v.bytes} | ${v.gzipBytes} |`);
      console.log(`removed filters: ${report.structured?.layers.filter((l) => l.filtersAfter !== l.filtersBefore).map((l) => `${l.name} ${l.filtersBefore}→${l.filtersAfter}`).join(', ') || 'none'}`);
      console.log('| batch | input ms | written ms | speed-up |\n|---:|---:|---:|---:|');
      for (const l of measured) console.log(`| ${l.batch} | ${l.beforeMs.toFixed(2)} | ${l.afterMs.toFixed(2)} | ${(l.beforeMs / l.afterMs).toFixed(2)}x |`);
    }
    writeResult('prune', results.map((r) => ({ command: r.command, machine: r.machine, timings: r.report.timings, accuracy: r.report.accuracy, targetedSparsity: r.report.targetedSparsity,
      totals: r.report.totals, structured: r.report.structured, finetune: r.report.finetune && { ...r.report.finetune, history: undefined }, latency: r.latency, reportLatency: r.report.latency })));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
