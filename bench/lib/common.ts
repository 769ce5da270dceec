// Shared by the bench/*.bench.ts scripts: arguments, smoke mode, the machine line every result
// carries (cores, load average, date, node), and where results are written.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobContext } from '../../src/engine/core/context';
import { DEFAULT_SFP } from '../../src/engine/sfp/analyze';

export const repoRoot = path.resolve(__dirname, '../..');
export const FASHION_TEST = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
export const EXAMPLE_MODEL = path.join(repoRoot, 'examples/fashion-vgg/model.json');
/** The committed 2,000-image subset, used when Debian's dataset-fashion-mnist is absent and in smoke runs. */
export const EXAMPLE_TEST_SUBSET = path.join(repoRoot, 'examples/data/t10k-images-idx3-ubyte.gz');

/** Tiny sizes so `npm test` can prove every benchmark still runs (`--smoke` or QUENCH_BENCH_SMOKE=1). */
export const smoke = process.argv.includes('--smoke') || process.env.QUENCH_BENCH_SMOKE === '1';

/** Whether Debian's dataset-fashion-mnist is installed. */
export const haveFashion = existsSync(FASHION_TEST);
/** The evaluation data a bench uses unless told: the 10k test set, or the committed subset (smoke runs, no Debian package). */
export const DEFAULT_TEST_DATA = smoke || !haveFashion ? EXAMPLE_TEST_SUBSET : FASHION_TEST;

export function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

export function loadAverage(): string {
  return os.loadavg().map((v) => v.toFixed(2)).join(' / ');
}

/** One line: date, cores, load average (1/5/15 min), node: every table in docs/benchmarks.md carries it. */
export function machineLine(backend?: string): string {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `${date} UTC, ${os.cpus().length} cores, load average ${loadAverage()}, node ${process.version}${backend ? `, backend ${backend}` : ''}`;
}

/** Results as JSON under test-results/bench/ (or the temp folder in smoke runs), written atomically. */
export function writeResult(name: string, value: unknown): string {
  const dir = smoke ? path.join(os.tmpdir(), 'quench-bench-smoke') : path.join(repoRoot, 'test-results/bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** A job context that records when each progress stage starts (for per-stage splits) and logs nothing. */
export function stageContext(): JobContext & { stages: string[] } {
  const stages: string[] = [];
  return {
    stages,
    signal: new AbortController().signal,
    progress: (p) => {
      if (stages[stages.length - 1] !== p.stage) stages.push(p.stage);
    },
    log: () => undefined,
  };
}

export function pct(value: number, digits = 2): string {
  return `${(value * 100).toFixed(digits)}%`;
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

/** The id `npm run bench` gives every bench of one invocation (scripts/run-bench.mjs); '' when run alone. */
export const suiteRun = process.env.QUENCH_BENCH_RUN ?? '';

/**
 * A result an earlier bench of the same `npm run bench` invocation wrote with writeResult, when
 * it was made for exactly `inputs` (model, data, sizes): lets a bench reuse a measurement instead
 * of repeating it. Nothing outside a suite run, in smoke runs, or when anything differs — a stale
 * file from another run or other code is never used.
 */
export function sameRunResult<T>(name: string, inputs: Record<string, unknown>): T | undefined {
  if (!suiteRun || smoke) return undefined;
  const file = path.join(repoRoot, 'test-results/bench', `${name}.json`);
  if (!existsSync(file)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { suiteRun?: string; inputs?: unknown } & T;
    return stored.suiteRun === suiteRun && JSON.stringify(stored.inputs) === JSON.stringify(inputs) ? stored : undefined;
  } catch {
    return undefined;
  }
}

/** What makes two example-model analyses the same run (analyze.bench.ts's report reused by others). */
export function analysisInputs(p: { model: string; data: string; limit?: number; readoutEpochs?: number; trainData?: string }): Record<string, unknown> {
  return { model: path.resolve(p.model), data: path.resolve(p.data), limit: p.limit ?? 0, readoutEpochs: p.readoutEpochs ?? DEFAULT_SFP.readout.epochs, trainData: p.trainData ? path.resolve(p.trainData) : '' };
}
