// ONNX models evaluated by the optional onnxruntime-node against TensorFlow.js (the default path),
// measured in one run on the same images, as ratios: the evaluation alone (file → ONNX Runtime, and
// the in-memory rewrite of the file with the job's weights that pipeline steps hand it), and an
// evaluation-bound job end to end — `quench prune --max-drop 1` without fine-tuning, whose
// per-layer sensitivity scan and bisection are all evaluations — as two CLI runs.
// onnxruntime-node is installed as the ONNX tier installs it (scripts/onnxruntime-env.mjs: npm
// registry only); where it cannot be, the table says so and has the TensorFlow.js rows only.
// Usage: npx tsx bench/onnxruntime.bench.ts [--data <dataset>] [--smoke]
// --smoke (or QUENCH_BENCH_SMOKE=1): 200 images, no end-to-end runs.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { useBackend, availableBackends } from '../src/engine/backend';
import { quietContext } from '../src/engine/core/context';
import { openDataset } from '../src/engine/data';
import { evaluate } from '../src/engine/eval/evaluate';
import { evaluateWithOnnxRuntime, loadOnnxRuntime, type LoadedOnnxRuntime } from '../src/engine/eval/onnxRuntime';
import { openModel } from '../src/engine/formats';
import { rewriteOnnx } from '../src/engine/formats/onnx/write';
import { isOnnxSource } from '../src/engine/formats/onnx/source';
import { arg, EXAMPLE_TEST_SUBSET, loadAverage, machineLine, repoRoot, smoke, writeResult } from './lib/common';
// @ts-expect-error: a plain ES module script without types
import { ensureOnnxRuntime } from '../scripts/onnxruntime-env.mjs';

const dataPath = arg('data', EXAMPLE_TEST_SUBSET);
const limit = smoke ? 200 : undefined;
const fixtures = ['fashion-cnn-torchscript', 'fashion-resnet-torchscript', 'fashion-resnet-torchscript-bn', 'resnet18-torchscript', 'mobilenetv3-torchscript'];
const onnx = (name: string) => path.join(repoRoot, 'test/fixtures/onnx', `${name}.onnx`);

interface Row {
  model: string;
  input: string;
  samples: number;
  tfjs: number;
  ortFile?: number;
  ortRewritten?: number;
  top1Tfjs: number;
  top1Ort?: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(run: () => Promise<number>, rounds: number): Promise<{ seconds: number; top1: number }> {
  let top1 = 0;
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    top1 = await run();
    times.push((performance.now() - started) / 1000);
  }
  return { seconds: median(times), top1 };
}

async function measure(name: string, runtime: LoadedOnnxRuntime | null): Promise<Row> {
  const loaded = await openModel(onnx(name));
  const source = loaded.source;
  if (!isOnnxSource(source)) throw new Error(`${name}: not read as ONNX`);
  const dataset = await openDataset(dataPath, { inputShape: loaded.model.inputs[0]!.shape.slice(1), classes: 10, limit });
  try {
    const ctx = quietContext();
    const rounds = smoke ? 1 : 3;
    // Warm-ups: kernels and the wasm compile; ONNX Runtime's first session.
    await evaluate(loaded.model, dataset, ctx, { limit: 256 });
    const tfjs = await timed(async () => (await evaluate(loaded.model, dataset, ctx)).accuracy.top1, rounds);
    const row: Row = { model: name, input: `[${loaded.inputShape?.join(', ')}]`, samples: dataset.size, tfjs: tfjs.seconds, top1Tfjs: tfjs.top1 };
    if (runtime) {
      const options = { inputShape: source.graph.inputShape };
      await evaluateWithOnnxRuntime(runtime, source.file, dataset, ctx, { ...options, limit: 256 });
      const file = await timed(async () => (await evaluateWithOnnxRuntime(runtime, source.file, dataset, ctx, options)).accuracy.top1, rounds);
      // What a pipeline step does: the file's bytes rewritten with the model's weights, then evaluated.
      const rewritten = await timed(async () => (await evaluateWithOnnxRuntime(runtime, await rewriteOnnx(loaded.model, source, source.file), dataset, ctx, options)).accuracy.top1, rounds);
      Object.assign(row, { ortFile: file.seconds, ortRewritten: rewritten.seconds, top1Ort: file.top1 });
      if (rewritten.top1 !== file.top1) throw new Error(`${name}: the rewritten bytes give top-1 ${rewritten.top1}, the file ${file.top1}`);
    }
    return row;
  } finally {
    dataset.close?.();
    loaded.model.dispose();
  }
}

interface EndToEnd {
  runtime: string;
  wall: number;
  sensitivity?: number;
  attempts?: number;
  heldOutDrop?: number;
  removed?: number;
}

/** `quench prune --max-drop 1 --finetune-epochs 0` as a user runs it, with ONNX Runtime off or on. */
function budgetRun(modules: string | null): EndToEnd {
  const out = path.join(repoRoot, 'test-results/bench', `onnxruntime-budget-${modules ? 'ort' : 'tfjs'}.onnx`);
  const args = ['dist/cli.js', 'prune', onnx('fashion-resnet-torchscript'), '--data', path.dirname(dataPath), '--max-drop', '1', '--finetune-epochs', '0', '--no-cache', '--out', out, '--json'];
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, QUENCH_ONNXRUNTIME: modules ? 'on' : 'off', QUENCH_EXTRA_MODULES: modules ?? '' }, maxBuffer: 64 * 2 ** 20 });
  const wall = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}:\n${run.stderr.slice(-2000)}`);
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { evaluatedBy?: string; timings: { stage: string; seconds: number }[]; budget?: { heldOutBefore: { top1: number }; heldOutAfter: { top1: number } }; totals: { before: { params: number }; after: { zeros: number } } };
  const stage = (prefix: string) => report.timings.filter((t) => t.stage.startsWith(prefix)).reduce((s, t) => s + t.seconds, 0);
  return {
    runtime: report.evaluatedBy ?? 'TensorFlow.js',
    wall,
    sensitivity: stage('sensitivity'),
    attempts: stage('attempts'),
    heldOutDrop: report.budget ? (report.budget.heldOutBefore.top1 - report.budget.heldOutAfter.top1) * 100 : undefined,
    removed: report.totals.after.zeros / report.totals.before.params,
  };
}

async function main(): Promise<void> {
  const backend = availableBackends().includes('wasm') ? 'wasm' : 'cpu';
  await useBackend(backend);
  const ort = ensureOnnxRuntime({ log: (line: string) => console.error(line) }) as { modules: string | null; version?: string; reason?: string };
  const loadedRuntime = ort.modules ? loadOnnxRuntime({ ...process.env, QUENCH_ONNXRUNTIME: 'on', QUENCH_EXTRA_MODULES: ort.modules }) : null;
  const runtime = loadedRuntime && 'ort' in loadedRuntime ? loadedRuntime : null;
  const machine = machineLine(backend);
  const rows: Row[] = [];
  for (const name of fixtures) rows.push(await measure(name, runtime));
  const e2e = !smoke && runtime ? [budgetRun(null), budgetRun(ort.modules)] : [];

  const relative = path.relative(repoRoot, dataPath);
  console.log(`npx tsx bench/onnxruntime.bench.ts --data ${relative}${smoke ? ' --smoke' : ''}`);
  console.log(`${machine} at the start, load average ${loadAverage()} at the end; TensorFlow.js ${backend} (its default threads); ${runtime ? `onnxruntime-node ${runtime.version}, CPU, every core` : `no onnxruntime-node: ${ort.reason ?? ('reason' in (loadedRuntime ?? {}) ? (loadedRuntime as { reason: string }).reason : 'not loaded')}`}`);
  console.log('');
  console.log('| model | input | images | TF.js s | ORT s (file) | ORT s (rewritten bytes) | TF.js / ORT | top-1 TF.js | top-1 ORT |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = r.ortFile ? `${(r.tfjs / r.ortFile).toFixed(2)}x` : '—';
    const sec = (v?: number) => (v === undefined ? '—' : v.toFixed(3));
    console.log(`| ${r.model} | ${r.input} | ${r.samples} | ${sec(r.tfjs)} | ${sec(r.ortFile)} | ${sec(r.ortRewritten)} | ${ratio} | ${(r.top1Tfjs * 100).toFixed(2)}% | ${r.top1Ort === undefined ? '—' : `${(r.top1Ort * 100).toFixed(2)}%`} |`);
  }
  if (e2e.length) {
    console.log('');
    console.log('`quench prune test/fixtures/onnx/fashion-resnet-torchscript.onnx --max-drop 1 --finetune-epochs 0 --no-cache`:');
    console.log('');
    console.log('| accuracy by | wall s | sensitivity s | attempts s | held-out drop pp | weights zero |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const e of e2e) console.log(`| ${e.runtime} | ${e.wall.toFixed(1)} | ${e.sensitivity?.toFixed(1)} | ${e.attempts?.toFixed(1)} | ${e.heldOutDrop?.toFixed(2)} | ${((e.removed ?? 0) * 100).toFixed(1)}% |`);
    console.log(`\nEnd to end: ${(e2e[0]!.wall / e2e[1]!.wall).toFixed(2)}x faster with onnxruntime-node.`);
  }
  writeResult('onnxruntime', { machine, runtime: runtime?.version ?? null, rows, e2e });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
