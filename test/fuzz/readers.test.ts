// Seeded random mutations of valid model and dataset files, fed to every reader in a child process.
// Allowed: the file opens, or a clean EngineFailure. Not allowed: any other error, a crash of the
// process, a file that takes longer than the per-file limit, tensors left behind, or RSS growth
// beyond a bound. 200 inputs by default (they include the former hangs #151, #161, #184), then 200
// mutated ONNX models (their own sequence); QUENCH_FUZZ_COUNT / QUENCH_FUZZ_ONNX_COUNT /
// QUENCH_FUZZ_SEED for longer runs; replay.ts writes any input out again.
// Figures: test-results/fuzz-readers.json and fuzz-readers-onnx.json.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { promises as fs, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fuzzInputs, type SeedSet } from './inputs';
import type { OpenRequest, OpenResult } from './reader-child';

const repoRoot = path.resolve(__dirname, '../..');
const COUNT = Number(process.env['QUENCH_FUZZ_COUNT'] ?? 200);
const ONNX_COUNT = Number(process.env['QUENCH_FUZZ_ONNX_COUNT'] ?? 200);
const SEED = Number(process.env['QUENCH_FUZZ_SEED'] ?? 20260101);
const PER_FILE_MS = 15_000;
const RSS_GROWTH_MB = 768;

/** One reader process; restarted after a hang or a crash. */
class Reader {
  private child: ChildProcess | undefined;
  baseline = { tensors: 0, rssMB: 0 };

  async start(): Promise<void> {
    const child = fork(path.join(__dirname, 'reader-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: { tensors: number; rssMB: number }) => ((this.baseline = m), resolve()));
      child.once('exit', (code) => reject(new Error(`reader process exited (${code}) before it was ready`)));
    });
  }

  /** The result, 'hang' when over the time limit, or 'crash' when the process died. */
  open(request: OpenRequest): Promise<OpenResult | 'hang' | 'crash'> {
    const child = this.child!;
    return new Promise((resolve) => {
      const done = (value: OpenResult | 'hang' | 'crash'): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (m: OpenResult): void => (m.i === request.i ? done(m) : undefined);
      const onExit = (): void => done('crash');
      const timer = setTimeout(() => done('hang'), PER_FILE_MS);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(request);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

async function fuzz(t: TestContext, set: SeedSet, count: number, resultFile: string): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quench-fuzz-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const reader = new Reader();
  await reader.start();
  t.after(() => reader.stop());
  const started = Date.now();
  const outcomes: Record<string, number> = {};
  const bySeed: Record<string, Record<string, number>> = {};
  const problems: string[] = [];
  let maxRssMB = reader.baseline.rssMB;
  for await (const { i, seed, kind, folder, open } of fuzzInputs(SEED, count, dir, set)) {
    const request: OpenRequest = { i, kind: seed.kind, file: open };
    const result = await reader.open(request);
    const label = typeof result === 'string' ? result : result.outcome === 'failure' ? `failure:${result.code}` : result.outcome;
    outcomes[label] = (outcomes[label] ?? 0) + 1;
    (bySeed[seed.name] ??= {})[label] = (bySeed[seed.name]![label] ?? 0) + 1;
    if (typeof result === 'string') {
      problems.push(`#${i} ${seed.name} (${kind}): ${result}`);
      reader.stop();
      await reader.start();
      continue;
    }
    if (result.outcome === 'error') problems.push(`#${i} ${seed.name} (${kind}): not an EngineFailure: ${result.message}`);
    const left = result.tensors - reader.baseline.tensors;
    reader.baseline.tensors = result.tensors;
    if (left !== 0) problems.push(`#${i} ${seed.name} (${kind}): ${left} tensors left (${label})`);
    if (result.outcome === 'failure' && !result.message) problems.push(`#${i} ${seed.name}: an empty message`);
    maxRssMB = Math.max(maxRssMB, result.rssMB);
    await fs.rm(folder, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  const figures = { seed: SEED, set, inputs: count, seconds: Math.round(seconds * 10) / 10, outcomes, bySeed, rssMB: { baseline: reader.baseline.rssMB, max: maxRssMB }, problems };
  mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'test-results', resultFile), JSON.stringify(figures, null, 2));
  t.diagnostic(JSON.stringify(figures));
  assert.deepEqual(problems, [], 'only "opened" or a clean EngineFailure, each within the time limit, freeing its tensors');
  assert.ok(maxRssMB - reader.baseline.rssMB < RSS_GROWTH_MB, `RSS grew from ${reader.baseline.rssMB} to ${maxRssMB} MB`);
  // Some mutations (a flipped weight bit) leave a readable model: none opening means the reader
  // refuses even valid files, and the run proved nothing.
  assert.ok((outcomes['opened'] ?? 0) > 0, `no mutated input opened: ${JSON.stringify(outcomes)}`);
}

test(`fuzz: ${COUNT} mutated models and datasets through every reader (seed ${SEED})`, { timeout: 30 * 60_000 }, (t) => fuzz(t, 'models-and-data', COUNT, 'fuzz-readers.json'));

test(`fuzz: ${ONNX_COUNT} mutated ONNX models (PyTorch exports, external data) through the ONNX reader (seed ${SEED})`, { timeout: 30 * 60_000 }, (t) =>
  fuzz(t, 'onnx', ONNX_COUNT, 'fuzz-readers-onnx.json'),
);
