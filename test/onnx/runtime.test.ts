// The optional onnxruntime-node as the accuracy judge of ONNX models inside Quench (the engine's
// pipeline/evaluator.ts): where it loads (QUENCH_EXTRA_MODULES, as the extension's Install ONNX
// Runtime command leaves it), `quench eval` and `quench prune` say so in `evaluatedBy` and report
// the accuracies TensorFlow.js measures on the same models — and Python's onnxruntime on the files
// — image for image. Without it (no npm registry, not CI) every test here skips with the reason.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalReport, PruneReport } from '../../src/protocol/report';
import { dataDir } from '../keras/zoo';
import { fixturePath, OnnxJudge, readFixtures, rel, runCli } from './judge';

const modules = process.env['QUENCH_TEST_ORT_MODULES'];
const skip = modules ? false : 'onnxruntime-node is not installed (scripts/onnxruntime-env.mjs could not install it; see the tier\'s first lines)';
const withOrt = { QUENCH_ONNXRUNTIME: 'on', QUENCH_EXTRA_MODULES: modules ?? '', QUENCH_THREADS: '' };
const images = path.join(dataDir, 't10k-images-idx3-ubyte.gz');
const labels = path.join(dataDir, 't10k-labels-idx1-ubyte.gz');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-onnx-runtime-'));
let judge: OnnxJudge;
before(() => {
  judge = new OnnxJudge();
});
after(() => {
  judge?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const report = <T>(output: string): T => JSON.parse(output.slice(output.indexOf('{'))) as T;
const trained = readFixtures().filter((f) => f.onnxruntimeTop1 !== undefined);

for (const fixture of trained) {
  test(`quench eval ${fixture.file} with onnxruntime-node: evaluatedBy names it; top-1 equals TensorFlow.js's and Python onnxruntime's on 2,000 images`, { skip }, async () => {
    const file = fixturePath(fixture);
    const [ort, tfjs, python] = await Promise.all([
      runCli(['eval', file, '--data', dataDir, '--json'], 600_000, withOrt),
      runCli(['eval', file, '--data', dataDir, '--json']),
      judge.accuracy(file, images, labels),
    ]);
    for (const run of [ort, tfjs]) assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
    const a = report<EvalReport>(ort.output);
    const b = report<EvalReport>(tfjs.output);
    assert.match(a.evaluatedBy ?? '', /^onnxruntime-node \d+\.\d+\.\d+$/, 'evaluatedBy names onnxruntime-node and its version');
    assert.ok(a.notes.some((n) => n.startsWith('Accuracy measured by ONNX Runtime')), `a note says who measured: ${a.notes.join(' | ')}`);
    assert.equal(b.evaluatedBy, undefined, 'QUENCH_ONNXRUNTIME=off: TensorFlow.js measured');
    assert.equal(a.accuracy.samples, 2000);
    assert.equal(Math.round(a.accuracy.top1 * 2000), Math.round(b.accuracy.top1 * 2000), `top-1: ONNX Runtime ${a.accuracy.top1}, TensorFlow.js ${b.accuracy.top1}`);
    assert.equal(Math.round(a.accuracy.top1 * 2000), Math.round((python.top1 / 100) * 2000), `top-1: Quench with onnxruntime-node ${a.accuracy.top1}, Python onnxruntime ${python.top1}%`);
    assert.deepEqual(a.confusion, b.confusion, 'the confusion matrices agree image for image');
    assert.ok(Math.abs(a.accuracy.loss - b.accuracy.loss) < 1e-4, `loss ${a.accuracy.loss} vs ${b.accuracy.loss}`);
  });
}

const bn = readFixtures().find((f) => f.exporter === 'torchscript-bn');

test('quench prune of the ResNet that keeps its BatchNorms (magnitude 50%, BatchNorm re-estimated, 1 epoch) with onnxruntime-node: every accuracy equals the TensorFlow.js run\'s, and the written file\'s by Python onnxruntime', { skip }, async () => {
  assert.ok(bn, 'test/fixtures/onnx/manifest.json lists no torchscript-bn export');
  const source = fixturePath(bn);
  const LIMIT = 500;
  const flags = ['--data', dataDir, '--limit', String(LIMIT), '--method', 'magnitude', '--sparsity', '0.5', '--finetune-epochs', '1', '--train-limit', '500', '--seed', '1', '--json'];
  const outOrt = path.join(tmp, 'bn-ort.onnx');
  const outTfjs = path.join(tmp, 'bn-tfjs.onnx');
  // One thread each, so the two runs train identically.
  const [ort, tfjs] = await Promise.all([
    runCli(['prune', source, ...flags, '--out', outOrt], 600_000, { ...withOrt, QUENCH_THREADS: '1' }),
    runCli(['prune', source, ...flags, '--out', outTfjs]),
  ]);
  for (const run of [ort, tfjs]) assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
  assert.ok(existsSync(outOrt) && existsSync(outTfjs));
  const a = report<PruneReport>(ort.output);
  const b = report<PruneReport>(tfjs.output);
  assert.match(a.evaluatedBy ?? '', /^onnxruntime-node /);
  assert.ok(a.notes.some((n) => n.startsWith('Accuracies measured by ONNX Runtime')), a.notes.join(' | '));
  const right = (top1: number) => Math.round(top1 * LIMIT);
  assert.ok(a.accuracy.afterBnRecalibration, 'the BatchNorm statistics were re-estimated (training data beside examples/data)');
  for (const key of ['before', 'afterMask', 'afterBnRecalibration', 'after'] as const) {
    assert.equal(right(a.accuracy[key]!.top1), right(b.accuracy[key]!.top1), `${key}: ONNX Runtime ${a.accuracy[key]!.top1}, TensorFlow.js ${b.accuracy[key]!.top1}`);
  }
  const python = await judge.accuracy(outOrt, images, labels, LIMIT);
  assert.equal(right(a.accuracy.after.top1), right(python.top1 / 100), `after: the report says ${a.accuracy.after.top1 * 100}%, Python onnxruntime ${python.top1}% on ${rel(outOrt)}`);
});

test('quench eval without --json says in its header who measured the accuracy', { skip }, async () => {
  const cnn = trained.find((f) => f.architecture === 'fashion-cnn' && f.exporter === 'torchscript');
  assert.ok(cnn);
  const run = await runCli(['eval', fixturePath(cnn), '--data', dataDir, '--limit', '200'], 600_000, withOrt);
  assert.equal(run.code, 0, run.output.slice(-2000));
  assert.match(run.output, /backend wasm, accuracy by onnxruntime-node \d+\.\d+\.\d+\)/);
});

test('quench prune --structured of an ONNX model with onnxruntime-node: latency is ONNX Runtime\'s, on the input file against the written one', { skip }, async () => {
  const resnet = trained.find((f) => f.architecture === 'fashion-resnet' && f.exporter === 'torchscript');
  assert.ok(resnet);
  const out = path.join(tmp, 'structured-ort.onnx');
  const run = await runCli(['prune', fixturePath(resnet), '--data', dataDir, '--limit', '200', '--method', 'l1-kernel', '--sparsity', '0.9', '--structured', '--out', out, '--json'], 600_000, withOrt);
  assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
  const r = report<PruneReport>(run.output);
  assert.ok(r.structured && r.structured.params.after < r.structured.params.before, 'the written model is smaller');
  assert.deepEqual(r.latency?.map((l) => l.batch), [1, 64]);
  for (const l of r.latency ?? []) {
    assert.equal(l.runtime, a(r.evaluatedBy), `batch ${l.batch}: timed by ${l.runtime}`);
    assert.ok(l.beforeMs > 0 && l.afterMs > 0 && l.runs === 7, JSON.stringify(l));
  }
  assert.ok(r.timings.some((t) => t.stage === 'latency'));
});

function a(value: string | undefined): string {
  assert.match(value ?? '', /^onnxruntime-node \d/);
  return value!;
}

test('an export that fixes its batch size (1, or 7 with a shorter last batch) is evaluated by ONNX Runtime in batches of that size, with the same top-1 as TensorFlow.js', { skip }, async () => {
  const cnn = trained.find((f) => f.architecture === 'fashion-cnn' && f.exporter === 'torchscript');
  assert.ok(cnn);
  for (const batch of [1, 7]) {
    const file = path.join(tmp, `cnn-batch${batch}.onnx`);
    await judge.fixedBatch(fixturePath(cnn), batch, file);
    const [ort, tfjs] = await Promise.all([runCli(['eval', file, '--data', dataDir, '--limit', '500', '--json'], 600_000, withOrt), runCli(['eval', file, '--data', dataDir, '--limit', '500', '--json'])]);
    for (const run of [ort, tfjs]) assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
    const a = report<EvalReport>(ort.output);
    const b = report<EvalReport>(tfjs.output);
    assert.match(a.evaluatedBy ?? '', /^onnxruntime-node /, `batch ${batch}: ONNX Runtime measured (no fallback): ${a.notes.join(' | ')}`);
    assert.equal(a.accuracy.samples, 500);
    assert.deepEqual(a.confusion, b.confusion, `batch ${batch}: the same predictions image for image`);
  }
});
