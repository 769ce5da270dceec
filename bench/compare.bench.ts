// Tables 2 and 3 of docs/benchmarks.md on the example model, through the engine's `compare` job
// (AFCC as the reference, every method at AFCC's exact per-layer sparsity, BatchNorm re-estimated,
// the same fine-tuning budget for every method):
//   2. AFCC vs baselines at one target sparsity, several seeds, mean ± std of top-1;
//   3. a sparsity sweep for AFCC and magnitude, and the largest sparsity within 0.5 pp of unpruned.
// Fine-tuning runs on a fixed subset of the Fashion-MNIST training set (bench/fashion-subset.ts).
//   node --import tsx bench/compare.bench.ts [--part methods (default)|sweep|all] [--seeds 1,2,3]
//     [--target-sparsity 0.8] [--sweep 0.5,0.7,0.8,0.9,0.95] [--limit 2000] [--train-samples 4000]
//     [--finetune-epochs 1] [--jobs 2] [--from <dir of `quench compare --json` outputs>] [--smoke]
//     [--model examples/fashion-vgg/model.json (default) | a,b: several models] [--methods afcc,magnitude,...]
// --model takes any model the engine opens (the zoo's graph models: test/fixtures/zoo/resnet.keras,
// mobilenetv2.keras); --target-sparsity and --model take comma-separated lists: every (model,
// target, seed) is one compare job, all in the same pool, one table per model and target.
// --jobs N (default: one per core, at most 2; 1 in smoke runs): the compare jobs run in N child
// processes at a time, each on one thread (bench/lib/pool.ts) — fine-tuning is single-threaded, so
// 3 seeds on 2 cores take about 2 seeds' time. Accuracy does not depend on it: every job is seeded
// and starts from the trained weights; the seed split over processes must agree on its unpruned
// accuracy and AFCC's per-layer sparsity, or the bench fails.
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompareParams } from '../src/protocol/engine';
import type { CompareReport, PruneMethod } from '../src/protocol/report';
import { compareJob } from '../src/engine/jobs/compare';
import { writeFashionSubset } from './fashion-subset';
import { compareSchedule, defaultWorkers, runPool, type CompareTask } from './lib/pool';
import { arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, haveFashion, machineLine, meanStd, repoRoot, smoke, stageContext, writeResult } from './lib/common';

const ALL_METHODS: PruneMethod[] = ['afcc', 'random-afcc', 'l1-kernel', 'magnitude', 'random'];
const METHODS = arg('methods', ALL_METHODS.join(',')).split(',') as PruneMethod[];
const models = arg('model', EXAMPLE_MODEL).split(',').map((m) => path.resolve(m));
const defaultModel = models.length === 1 && models[0] === path.resolve(EXAMPLE_MODEL);
const part = arg('part', 'methods'); // 'sweep' repeats the analysis per sparsity: sweep.bench.ts is cheaper
const seeds = arg('seeds', smoke ? '1' : '1,2,3').split(',').map(Number);
const targets = arg('target-sparsity', '0.8').split(',').map(Number);
const sweep = arg('sweep', smoke ? '0.8' : '0.5,0.7,0.8,0.9,0.95').split(',').map(Number);
const data = arg('data', DEFAULT_TEST_DATA);
const limit = Number(arg('limit', smoke ? '100' : '2000'));
const trainSamples = Number(arg('train-samples', smoke ? '256' : '4000'));
const epochs = Number(arg('finetune-epochs', '1'));
const readoutEpochs = smoke ? 1 : undefined;
const jobs = Math.max(1, Number(arg('jobs', smoke ? '1' : String(defaultWorkers()))));

/** One compare job's report, as `quench compare` would print it, with its wall and CPU seconds (its process). */
interface Run { report: CompareReport; command: string; machine: string; model: string; targetSparsity: number; wallSeconds: number; cpuSeconds: number }
/** A compare task for one model. */
type Task = CompareTask & { model: string };

function commandLine(p: CompareParams): string {
  return [`quench compare ${path.relative(repoRoot, p.model)} --data ${p.data} --limit ${p.limit}`, `--methods ${p.methods.join(',')}`,
    `--target-sparsity ${p.targetSparsity}`, `--train-data ${p.trainData}`, `--finetune-epochs ${p.finetune?.epochs}`, `--seed ${p.seed}`,
    readoutEpochs ? `--readout-epochs ${readoutEpochs}` : '', '--json'].filter(Boolean).join(' ');
}

function params(task: Task, trainData: string): CompareParams {
  return { model: task.model, data, limit, methods: task.methods as PruneMethod[], targetSparsity: task.targetSparsity, seed: task.seed, trainData, readoutEpochs, finetune: { epochs, trainData } };
}

async function run(p: CompareParams): Promise<Run> {
  const machine = machineLine();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await compareJob(p, stageContext());
  const used = process.cpuUsage(cpu);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.error(`done: ${p.methods.join(',')} at ${p.targetSparsity}, seed ${p.seed}: ${wallSeconds.toFixed(0)} s wall, ${cpuSeconds.toFixed(0)} CPU s`);
  return { report, command: commandLine(p), machine, model: p.model, targetSparsity: p.targetSparsity!, wallSeconds, cpuSeconds };
}

/** The tasks in this process one by one (--jobs 1), or in `jobs` child processes (see bench/lib/pool.ts). */
async function runTasks(tasks: Task[], trainData: string): Promise<Run[]> {
  if (jobs === 1) {
    const runs: Run[] = [];
    for (const task of tasks) runs.push(await run(params(task, trainData)));
    return runs;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-bench-compare-'));
  try {
    tasks.forEach((task, i) => writeFileSync(path.join(tmp, `task-${i}.json`), JSON.stringify(params(task, trainData))));
    await runPool(tasks, jobs, (_task, i) => ['--import', 'tsx', __filename, '--child', path.join(tmp, `task-${i}.json`), path.join(tmp, `run-${i}.json`)], repoRoot);
    return tasks.map((_task, i) => JSON.parse(readFileSync(path.join(tmp, `run-${i}.json`), 'utf8')) as Run);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * One run per (seed, target sparsity): a seed split over processes becomes one report again, rows
 * in METHODS order. Its parts repeated the same seeded analysis, so they must agree on the unpruned
 * accuracy and on the SFP results AFCC's sparsities come from; anything else is a bug, not noise.
 */
function mergeRuns(runs: Run[]): Run[] {
  const groups = new Map<string, Run[]>();
  for (const r of runs) {
    const key = `${r.model}|${r.report.seed}@${r.targetSparsity}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((parts) => {
    const [first, ...rest] = parts;
    const fingerprint = (r: Run) => JSON.stringify([r.report.baseline.top1, r.report.sfp?.layers.map((l) => [l.name, l.meanLabels, l.readoutAccuracy])]);
    for (const r of rest) {
      if (fingerprint(r) !== fingerprint(first!)) throw new Error(`${path.relative(repoRoot, r.model)}, seed ${r.report.seed}: the processes sharing it disagree on the unpruned accuracy or the SFP analysis`);
    }
    const rows = parts.flatMap((r) => r.report.rows).sort((a, b) => METHODS.indexOf(a.method) - METHODS.indexOf(b.method));
    const sum = (f: (r: Run) => number) => parts.reduce((a, r) => a + f(r), 0);
    return { ...first!, command: parts.map((r) => r.command).join('\n  + '), wallSeconds: sum((r) => r.wallSeconds), cpuSeconds: sum((r) => r.cpuSeconds), report: { ...first!.report, rows, timings: parts.flatMap((r) => r.report.timings) } };
  });
}

const pp = (v: number) => (v * 100).toFixed(2);
const ms = (values: number[]) => {
  const { mean, std } = meanStd(values.map((v) => v * 100));
  return values.length > 1 ? `${mean.toFixed(2)} ± ${std.toFixed(2)}` : mean.toFixed(2);
};

export function methodsTable(runs: CompareReport[]): string {
  const first = runs[0]!;
  const whole = first.rows[0]?.totalSparsity;
  const lines = [`unpruned top-1: ${ms(runs.map((r) => r.baseline.top1))} (${first.baseline.samples} test samples); seeds ${runs.map((r) => r.seed).join(', ')}${whole === undefined ? '' : `; whole-model sparsity (seed ${first.seed}, ${first.rows[0]!.method}): ${pp(whole)}%`}`, '',
    '| method | sparsity per targeted layer | targeted sparsity | after masking | BN re-estimated | fine-tuned | fine-tuned − unpruned (pp) |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const method of first.rows.map((r) => r.method)) {
    const rows = runs.map((r) => r.rows.find((x) => x.method === method)!);
    const layers = Object.entries(rows[0]!.layerSparsity).map(([l, s]) => `${l} ${pp(s)}%`).join(', ');
    const finetuned = rows.map((r) => r.accuracyFinetuned?.top1 ?? NaN);
    const delta = runs.map((r, i) => finetuned[i]! - r.baseline.top1);
    lines.push(`| ${method} | ${layers} | ${ms(rows.map((r) => r.targetedSparsity))}% | ${ms(rows.map((r) => r.accuracy.top1))} | ${ms(rows.map((r) => r.accuracyBnRecalibrated?.top1 ?? NaN))} | ${ms(finetuned)} | ${ms(delta)} |`);
  }
  return lines.join('\n');
}

export function sweepTable(runs: CompareReport[]): string {
  const sorted = [...runs].sort((a, b) => a.rows[0]!.targetedSparsity - b.rows[0]!.targetedSparsity);
  const lines = ['| target | sparsity per targeted layer (AFCC = magnitude) | targeted | unpruned | AFCC, BN re-est. | AFCC, fine-tuned | magnitude, BN re-est. | magnitude, fine-tuned |', '|---:|---|---:|---:|---:|---:|---:|---:|'];
  const best: Record<string, number> = {};
  for (const r of sorted) {
    const afcc = r.rows.find((x) => x.method === 'afcc')!;
    const mag = r.rows.find((x) => x.method === 'magnitude');
    const cell = (v: number | undefined) => (v === undefined ? '—' : `${pp(v)} (${((v - r.baseline.top1) * 100 >= 0 ? '+' : '')}${((v - r.baseline.top1) * 100).toFixed(2)})`);
    const layers = Object.entries(afcc.layerSparsity).map(([l, s]) => `${l} ${pp(s)}%`).join(', ');
    const target = (r as CompareReport & { targetSparsity?: number }).targetSparsity;
    lines.push(`| ${target ?? '—'} | ${layers} | ${pp(afcc.targetedSparsity)}% | ${pp(r.baseline.top1)} | ${cell(afcc.accuracyBnRecalibrated?.top1)} | ${cell(afcc.accuracyFinetuned?.top1)} | ${cell(mag?.accuracyBnRecalibrated?.top1)} | ${cell(mag?.accuracyFinetuned?.top1)} |`);
    for (const row of [afcc, mag]) {
      if (row?.accuracyFinetuned && row.accuracyFinetuned.top1 >= r.baseline.top1 - 0.005) best[row.method] = Math.max(best[row.method] ?? 0, row.targetedSparsity);
    }
  }
  lines.push('', `Largest targeted sparsity within 0.5 pp of unpruned after fine-tuning: AFCC ${best.afcc === undefined ? 'none of the tried' : `${pp(best.afcc)}%`}, magnitude ${best.magnitude === undefined ? 'none of the tried' : `${pp(best.magnitude)}%`}.`);
  return lines.join('\n');
}

function fromDir(dir: string): { methods: CompareReport[]; sweep: CompareReport[] } {
  const read = (f: string) => {
    const report = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CompareReport & { targetSparsity?: number };
    const cmd = path.join(dir, f.replace(/\.json$/, '.cmd'));
    const t = existsSync(cmd) ? /--target-sparsity (\S+)/.exec(readFileSync(cmd, 'utf8')) : null;
    if (t) report.targetSparsity = Number(t[1]);
    return report;
  };
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const methods = files.filter((f) => f.startsWith('compare-')).map(read).sort((a, b) => a.seed - b.seed);
  const sweepRuns = files.filter((f) => f.startsWith('sweep-')).map(read);
  const ref = methods.find((m) => m.seed === 1);
  if (ref) sweepRuns.push({ ...ref, rows: ref.rows.filter((r) => r.method === 'afcc' || r.method === 'magnitude') });
  return { methods, sweep: sweepRuns };
}

async function main(): Promise<void> {
  const from = arg('from', '');
  if (from) {
    const runs = fromDir(from);
    console.log(`${methodsTable(runs.methods)}\n\n${sweepTable(runs.sweep)}`);
    return;
  }
  // Without Debian's dataset-fashion-mnist only the committed test subset exists: a smoke run then
  // fine-tunes on its first images (fine for proving the benchmark runs, not for its numbers).
  if (!haveFashion) console.error('dataset-fashion-mnist not installed: fine-tuning on the committed test subset (numbers not meaningful)');
  const trainData = haveFashion
    ? writeFashionSubset('train', trainSamples, path.join(os.tmpdir(), `quench-bench-train-${trainSamples}`))
    : writeFashionSubset('t10k', Math.min(trainSamples, 2000), path.join(os.tmpdir(), `quench-bench-test-${trainSamples}`), path.join(repoRoot, 'examples/data'));
  const result: Record<string, unknown> = { jobs };
  const parallel = jobs > 1 ? `; ${jobs} child processes at a time, one thread each (QUENCH_THREADS=1)` : '';
  if (part === 'all' || part === 'methods') {
    const started = performance.now();
    // Whole (model, target) groups of seeds, longest-first as compareSchedule orders each group.
    const tasks: Task[] = models.flatMap((model) => targets.flatMap((t) => compareSchedule(seeds, METHODS, t, jobs).map((task) => ({ ...task, model }))));
    const runs = mergeRuns(await runTasks(tasks, trainData));
    const wall = (performance.now() - started) / 1000;
    const options = `${defaultModel ? '' : ` --model ${models.map((m) => path.relative(repoRoot, m)).join(',')}`}${METHODS.join(',') === ALL_METHODS.join(',') ? '' : ` --methods ${METHODS.join(',')}`}`;
    const tables = models.flatMap((model) => targets.map((t) => {
      const group = runs.filter((r) => r.model === model && r.targetSparsity === t);
      return `${models.length > 1 || targets.length > 1 ? `${path.relative(repoRoot, model)}, target sparsity ${t}:\n` : ''}${methodsTable(group.map((r) => r.report))}`;
    }));
    console.log(`node --import tsx bench/compare.bench.ts --part ${part}${options} --seeds ${seeds.join(',')} --target-sparsity ${targets.join(',')} --limit ${limit} --train-samples ${trainSamples} --finetune-epochs ${epochs} --jobs ${jobs}${smoke ? ' --smoke' : ''}, which ran:\n${runs.map((r) => `${r.command}\n  ${r.machine}; ${r.wallSeconds.toFixed(0)} s wall, ${r.cpuSeconds.toFixed(0)} CPU s (summed over its processes)`).join('\n')}\n${tasks.length} compare job(s), ${seeds.length} seed(s) each, in ${wall.toFixed(0)} s wall${parallel}\n\n${tables.join('\n\n')}\n`);
    result.methods = runs.map((r) => ({ model: path.relative(repoRoot, r.model), targetSparsity: r.targetSparsity, command: r.command, machine: r.machine, wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, baseline: r.report.baseline.top1, rows: r.report.rows, timings: r.report.timings }));
    result.methodsWallSeconds = wall;
  }
  if (part === 'all' || part === 'sweep') {
    const runs = await runTasks(models.flatMap((model) => sweep.map((s) => ({ model, seed: seeds[0]!, methods: ['afcc', 'magnitude'], targetSparsity: s }))), trainData);
    runs.forEach((r) => Object.assign(r.report, { targetSparsity: r.targetSparsity }));
    const tables = models.map((model) => `${models.length > 1 ? `${path.relative(repoRoot, model)}:\n` : ''}${sweepTable(runs.filter((r) => r.model === model).map((r) => r.report))}`);
    console.log(`${runs.map((r) => `${r.command}\n  ${r.machine}`).join('\n')}${parallel}\n\n${tables.join('\n\n')}`);
    result.sweep = runs.map((r) => ({ command: r.command, machine: r.machine, baseline: r.report.baseline.top1, rows: r.report.rows }));
  }
  writeResult(defaultModel ? 'compare' : `compare-${models.map((m) => path.basename(m).replace(/\.(keras|h5|json)$/, '')).join('-')}-${part === 'sweep' ? 'sweep' : targets.join('-')}`, result);
}

/** A child of runTasks: one compare job from a params file, its run written to another. */
async function child(paramsFile: string, out: string): Promise<void> {
  const r = await run(JSON.parse(readFileSync(paramsFile, 'utf8')) as CompareParams);
  writeFileSync(`${out}.tmp`, JSON.stringify(r));
  renameSync(`${out}.tmp`, out);
}

const childAt = process.argv.indexOf('--child');
(childAt >= 0 ? child(process.argv[childAt + 1]!, process.argv[childAt + 2]!) : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
