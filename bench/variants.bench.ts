// docs/benchmarks.md, section 8: AFCC against its variants (afcc-balanced, afcc-hybrid) and
// magnitude at equal per-layer sparsity on the example model, through the engine's `compare` job:
// AFCC's threshold searched to each target, every other method at AFCC's exact per-layer
// sparsity, BatchNorm re-estimated, then the same fine-tuning budget for every method. Several
// seeds; mean ± standard deviation, the paired differences per seed, and the worst class.
//   node --import tsx bench/variants.bench.ts [--seeds 1,2,3] [--target-sparsity 0.8 (default; section 8: 0.5,0.8)]
//     [--limit 2000] [--train-samples 4000] [--finetune-epochs 1] [--jobs 2]
//     [--methods afcc,afcc-balanced,afcc-hybrid,magnitude] [--from <dir of run JSON files>] [--smoke]
// Every (target, seed) is one compare job with all methods, run in --jobs one-thread child
// processes (bench/lib/pool.ts); each job's report is kept in test-results/bench/variants/ as it
// finishes, so --from <that folder> prints the tables again (or from a run cut short). The default
// is one target so that the whole `npm run bench` suite stays within its 30 minutes.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompareParams } from '../src/protocol/engine';
import type { CompareReport, CompareRow, PruneMethod } from '../src/protocol/report';
import { compareJob } from '../src/engine/jobs/compare';
import { writeFashionSubset } from './fashion-subset';
import { defaultWorkers, runPool } from './lib/pool';
import { arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, haveFashion, machineLine, meanStd, repoRoot, smoke, stageContext, writeResult } from './lib/common';

const METHODS = arg('methods', 'afcc,afcc-balanced,afcc-hybrid,magnitude').split(',') as PruneMethod[];
const seeds = arg('seeds', smoke ? '1' : '1,2,3').split(',').map(Number);
const targets = arg('target-sparsity', '0.8').split(',').map(Number);
const model = path.resolve(arg('model', EXAMPLE_MODEL));
const data = arg('data', DEFAULT_TEST_DATA);
const limit = Number(arg('limit', smoke ? '100' : '2000'));
const trainSamples = Number(arg('train-samples', smoke ? '256' : '4000'));
const epochs = Number(arg('finetune-epochs', '1'));
const readoutEpochs = smoke ? 1 : undefined;
const jobs = Math.max(1, Number(arg('jobs', smoke ? '1' : String(defaultWorkers()))));
const runsDir = smoke ? path.join(os.tmpdir(), 'quench-bench-smoke', 'variants') : path.join(repoRoot, 'test-results/bench/variants');

/** One compare job: its report, the command it stands for, and what it cost. */
interface Run { report: CompareReport; targetSparsity: number; command: string; machine: string; wallSeconds: number; cpuSeconds: number }
interface Task { seed: number; targetSparsity: number }

function params(task: Task, trainData: string): CompareParams {
  return { model, data, limit, methods: METHODS, targetSparsity: task.targetSparsity, seed: task.seed, trainData, readoutEpochs, finetune: { epochs, trainData } };
}

function commandLine(p: CompareParams): string {
  return [`quench compare ${path.relative(repoRoot, p.model)} --data ${p.data} --limit ${p.limit}`, `--methods ${p.methods.join(',')}`,
    `--target-sparsity ${p.targetSparsity}`, `--train-data ${p.trainData}`, `--finetune-epochs ${p.finetune?.epochs}`, `--seed ${p.seed}`,
    readoutEpochs ? `--readout-epochs ${readoutEpochs}` : '', '--json'].filter(Boolean).join(' ');
}

async function run(p: CompareParams, out: string): Promise<void> {
  const machine = machineLine();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await compareJob(p, stageContext());
  const used = process.cpuUsage(cpu);
  const result: Run = { report, targetSparsity: p.targetSparsity!, command: commandLine(p), machine, wallSeconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
  console.error(`done: target ${p.targetSparsity}, seed ${p.seed}: ${result.wallSeconds.toFixed(0)} s wall, ${result.cpuSeconds.toFixed(0)} CPU s`);
  writeFileSync(`${out}.tmp`, JSON.stringify(result));
  renameSync(`${out}.tmp`, out);
}

const runFile = (task: Task) => path.join(runsDir, `target-${task.targetSparsity}-seed-${task.seed}.json`);

const pp = (v: number) => (v * 100).toFixed(2);
function ms(values: number[]): string {
  const { mean, std } = meanStd(values.map((v) => v * 100));
  return values.length > 1 ? `${mean.toFixed(2)} ± ${std.toFixed(2)}` : mean.toFixed(2);
}
/** Paired difference over seeds, in pp: mean ± std of (a − b) per seed. */
function paired(a: number[], b: number[]): string {
  const d = a.map((v, i) => (v - b[i]!) * 100);
  const { mean, std } = meanStd(d);
  const sign = mean >= 0 ? '+' : '−';
  return d.length > 1 ? `${sign}${Math.abs(mean).toFixed(2)} ± ${std.toFixed(2)}` : `${sign}${Math.abs(mean).toFixed(2)}`;
}
const worst = (row: CompareRow | undefined, stage: 'accuracy' | 'accuracyBnRecalibrated' | 'accuracyFinetuned') => Math.min(...(row?.[stage]?.perClass ?? [NaN]));

/** The table of one target: each method's accuracy at every stage, worst class, and against AFCC and magnitude, paired by seed. */
export function variantsTable(runs: Run[]): string {
  const sorted = [...runs].sort((a, b) => a.report.seed - b.report.seed);
  const first = sorted[0]!.report;
  const methods = first.rows.map((r) => r.method);
  const rowsOf = (method: PruneMethod) => sorted.map((r) => r.report.rows.find((x) => x.method === method)!);
  const afcc = rowsOf('afcc');
  const magnitude = methods.includes('magnitude') ? rowsOf('magnitude') : null;
  const top1 = (rows: CompareRow[], stage: 'accuracy' | 'accuracyBnRecalibrated' | 'accuracyFinetuned') => rows.map((r) => r[stage]?.top1 ?? NaN);
  const lines = [
    `unpruned top-1 ${ms(sorted.map((r) => r.report.baseline.top1))} (${first.baseline.samples} test samples); seeds ${sorted.map((r) => r.report.seed).join(', ')}; AFCC's per-layer sparsity (seed ${first.seed}): ${Object.entries(afcc[0]!.layerSparsity).map(([l, s]) => `${l} ${pp(s)}%`).join(', ')}`,
    '',
    '| method | targeted sparsity | after masking | BN re-estimated | worst class, BN re-est. | fine-tuned | worst class, fine-tuned | fine-tuned − AFCC (pp, paired) | fine-tuned − magnitude (pp, paired) | BN re-est. − AFCC (pp, paired) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const method of methods) {
    const rows = rowsOf(method);
    lines.push(`| ${method} | ${ms(rows.map((r) => r.targetedSparsity))}% | ${ms(top1(rows, 'accuracy'))} | ${ms(top1(rows, 'accuracyBnRecalibrated'))} | ${ms(rows.map((r) => worst(r, 'accuracyBnRecalibrated')))} | ${ms(top1(rows, 'accuracyFinetuned'))} | ${ms(rows.map((r) => worst(r, 'accuracyFinetuned')))} | ${method === 'afcc' ? '—' : paired(top1(rows, 'accuracyFinetuned'), top1(afcc, 'accuracyFinetuned'))} | ${!magnitude || method === 'magnitude' ? '—' : paired(top1(rows, 'accuracyFinetuned'), top1(magnitude, 'accuracyFinetuned'))} | ${method === 'afcc' ? '—' : paired(top1(rows, 'accuracyBnRecalibrated'), top1(afcc, 'accuracyBnRecalibrated'))} |`);
  }
  return lines.join('\n');
}

function tables(runs: Run[]): string {
  return [...new Set(runs.map((r) => r.targetSparsity))].sort((a, b) => a - b)
    .map((t) => `Target sparsity ${t} (AFCC's threshold searched; every other method at AFCC's per-layer sparsity):\n\n${variantsTable(runs.filter((r) => r.targetSparsity === t))}`)
    .join('\n\n');
}

function readRuns(dir: string): Run[] {
  return readdirSync(dir).filter((f) => /^target-.*\.json$/.test(f)).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Run);
}

async function main(): Promise<void> {
  const from = arg('from', '');
  if (from) {
    console.log(tables(readRuns(from)));
    return;
  }
  if (!haveFashion) console.error('dataset-fashion-mnist not installed: fine-tuning on the committed test subset (numbers not meaningful)');
  const trainData = haveFashion
    ? writeFashionSubset('train', trainSamples, path.join(os.tmpdir(), `quench-bench-train-${trainSamples}`))
    : writeFashionSubset('t10k', Math.min(trainSamples, 2000), path.join(os.tmpdir(), `quench-bench-test-${trainSamples}`), path.join(repoRoot, 'examples/data'));
  mkdirSync(runsDir, { recursive: true });
  const tasks: Task[] = targets.flatMap((targetSparsity) => seeds.map((seed) => ({ seed, targetSparsity })));
  for (const task of tasks) if (existsSync(runFile(task))) renameSync(runFile(task), `${runFile(task)}.previous`);
  const started = performance.now();
  const tmp = path.join(runsDir, 'params');
  mkdirSync(tmp, { recursive: true });
  tasks.forEach((task, i) => writeFileSync(path.join(tmp, `task-${i}.json`), JSON.stringify(params(task, trainData))));
  if (jobs === 1) {
    for (const task of tasks) await run(params(task, trainData), runFile(task));
  } else {
    await runPool(tasks, jobs, (task, i) => ['--import', 'tsx', __filename, '--child', path.join(tmp, `task-${i}.json`), runFile(task)], repoRoot);
  }
  const wall = (performance.now() - started) / 1000;
  const runs = tasks.map((task) => JSON.parse(readFileSync(runFile(task), 'utf8')) as Run);
  const cpu = runs.reduce((a, r) => a + r.cpuSeconds, 0);
  console.log(`node --import tsx bench/variants.bench.ts --methods ${METHODS.join(',')} --seeds ${seeds.join(',')} --target-sparsity ${targets.join(',')} --limit ${limit} --train-samples ${trainSamples} --finetune-epochs ${epochs} --jobs ${jobs}${smoke ? ' --smoke' : ''}, which ran:\n${runs.map((r) => `${r.command}\n  ${r.machine}; ${r.wallSeconds.toFixed(0)} s wall, ${r.cpuSeconds.toFixed(0)} CPU s`).join('\n')}\n${tasks.length} compare job(s) in ${wall.toFixed(0)} s wall, ${cpu.toFixed(0)} CPU s in the jobs; ${jobs} process(es) at a time\n\n${tables(runs)}\n`);
  writeResult('variants', { jobs, wallSeconds: wall, runs: runs.map((r) => ({ targetSparsity: r.targetSparsity, command: r.command, machine: r.machine, wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, baseline: r.report.baseline, rows: r.report.rows, notes: r.report.notes })) });
}

const childAt = process.argv.indexOf('--child');
(childAt >= 0
  ? run(JSON.parse(readFileSync(process.argv[childAt + 1]!, 'utf8')) as CompareParams, process.argv[childAt + 2]!)
  : main()
).catch((error) => {
  console.error(error);
  process.exit(1);
});
