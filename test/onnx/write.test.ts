// Every file Quench writes from an ONNX model, through the real CLI (dist/cli.js, `npm run build`),
// judged by onnxruntime and onnx.checker: masked (magnitude 50%) and --structured (L1 kernel 90%,
// channels really go) copies of every PyTorch export, and the Keras-made zoo converted with
// `--format onnx`. onnxruntime predicts on 256 images what Quench's reading of the same written file
// predicts; the masked copy keeps the source's opset, node names, metadata and graph inputs and its
// zeros; the structured copy is smaller. ONNX converted to the Keras and TF.js formats is judged by
// Keras / tf.loadLayersModel, or refused with the ONNX ops that prevent it named.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KerasJudge, tfjsLoadPredict, type Judged } from '../keras/judge';
import { dataDir, fashionImages, outputPath, readManifest, useWasm, zooFile, type FileKind } from '../keras/zoo';
import { fixturePath, maxAbsDiff, OnnxJudge, quenchPredict, randomBatch, readFixtures, rel, runCli, transpose, type Batch } from './judge';
import type { ModelFormat } from '../../src/protocol/report';

const TOLERANCE = 1e-4;
let judge: OnnxJudge;
let keras: KerasJudge;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-onnx-write-'));
before(async () => {
  await useWasm();
  judge = new OnnxJudge();
  keras = new KerasJudge();
});
after(() => {
  judge?.close();
  keras?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function batchFor([, c, h, w]: [null, number, number, number]): Promise<Batch> {
  if (c === 1 && h === 28 && w === 28) return { data: (await fashionImages(256)).data, shape: [256, 1, 28, 28] };
  return randomBatch([256, c, h, w]);
}

const safe = (s: string) => s.replace(/\W+/g, '_');

/** Runs `prune` and returns the written file, failing with the CLI's output when it did not write. */
async function prune(source: string, args: string[], out: string): Promise<void> {
  const run = await runCli(['prune', source, '--data', dataDir, '--limit', '64', ...args, '--out', out]);
  assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
  assert.ok(existsSync(out), `${run.command} wrote no ${rel(out)}:\n${run.output.slice(-2000)}`);
}

/** onnxruntime (after onnx.checker) and Quench read the written file alike. */
async function judgeOnnx(out: string, batch: Batch, what: string) {
  const judged = await judge.loadPredict(out, batch);
  const mine = await quenchPredict(out, batch);
  assert.deepEqual(mine.outputShape, judged.outputShape, `${what}: output shape`);
  const { max, at } = maxAbsDiff(judged.outputs, mine.outputs);
  assert.ok(max <= TOLERANCE, `${what}: onnxruntime predicts up to ${max} away from Quench's reading of ${rel(out)} (output ${at}: ${judged.outputs[at]} vs ${mine.outputs[at]})`);
  return judged;
}

const fixtures = readFixtures();
for (const fixture of fixtures) {
  const source = fixturePath(fixture);

  test(`prune ${fixture.file} --method magnitude --sparsity 0.5: onnxruntime loads the .onnx, predicts what Quench reads from it; opset, node names, inputs, metadata kept`, async () => {
    const out = path.join(tmp, `${safe(fixture.file)}-masked.onnx`);
    await prune(source, ['--method', 'magnitude', '--sparsity', '0.5'], out);
    const batch = await batchFor(fixture.inputShape);
    const original = await judge.loadPredict(source, batch);
    const written = await judgeOnnx(out, batch, `${fixture.file} masked`);
    assert.equal(written.opset, original.opset, 'opset');
    assert.deepEqual(written.nodes, original.nodes, 'node names, in order');
    assert.deepEqual(written.graphInputs, original.graphInputs, 'graph inputs');
    for (const [key, value] of Object.entries(original.metadata)) assert.equal(written.metadata[key], value, `metadata ${key}`);
    assert.deepEqual(written.initializers.map((i) => [i.name, i.shape]), original.initializers.map((i) => [i.name, i.shape]), 'initializer names and shapes');
    const halfZero = written.initializers.filter((i) => i.shape.length >= 2 && i.zeros >= 0.45 * i.shape.reduce((a, b) => a * b, 1));
    assert.ok(halfZero.length > 0, `no weight of ${rel(out)} is half zeros: ${written.initializers.map((i) => `${i.name} ${i.zeros}`).join(', ')}`);
  });

  test(`prune ${fixture.file} --method l1-kernel --sparsity 0.9 --structured: onnxruntime loads the smaller .onnx and predicts what Quench reads from it`, async () => {
    const out = path.join(tmp, `${safe(fixture.file)}-structured.onnx`);
    await prune(source, ['--method', 'l1-kernel', '--sparsity', '0.9', '--structured'], out);
    const batch = await batchFor(fixture.inputShape);
    const original = await judge.loadPredict(source, batch);
    const written = await judgeOnnx(out, batch, `${fixture.file} structured`);
    assert.ok(written.params < original.params, `${rel(out)} holds ${written.params} initializer values, the source ${original.params}: no channel was removed`);
    assert.equal(written.opset, original.opset, 'opset');
  });
}

// ONNX → the Keras / TF.js formats, for one export of each trained net (NCHW flatten included).
const CONVERTED: ModelFormat[] = ['keras-v3', 'keras-h5', 'tfjs-layers'];
for (const fixture of fixtures.filter((f) => f.exporter === 'torchscript')) {
  for (const format of CONVERTED) {
    test(`prune ${fixture.file} --method magnitude --sparsity 0.5 --format ${format}: ${format === 'tfjs-layers' ? 'tf.loadLayersModel' : 'Keras'} predicts what Quench predicts from the .onnx, or Quench names the ops that prevent it`, async () => {
      const out = outputPath(path.join(tmp, `${safe(fixture.file)}-${format}`), format);
      const args = ['prune', fixturePath(fixture), '--data', dataDir, '--limit', '64', '--method', 'magnitude', '--sparsity', '0.5', '--out', out, '--format', format];
      const run = await runCli(args);
      if (run.code !== 0) {
        const named = fixture.ops.filter((op) => new RegExp(`\\b${op}\\b`).test(run.output));
        assert.ok(run.code === 1 && named.length > 0, `${run.command} exited ${run.code} without naming the ONNX ops (of ${fixture.ops.join(', ')}) that prevent ${format}:\n${run.output.slice(-2000)}`);
        assert.ok(!existsSync(out), `${run.command} refused, yet ${rel(out)} exists`);
        return;
      }
      // The converted file takes NHWC; the masked .onnx Quench wrote alongside would take NCHW.
      const nchw = await batchFor(fixture.inputShape);
      const nhwc = transpose(nchw);
      const judged: Judged = format === 'tfjs-layers' ? await tfjsLoadPredict(out, nhwc) : await keras.loadPredict(out, nhwc);
      const masked = path.join(tmp, `${safe(fixture.file)}-${format}-same.onnx`);
      await prune(fixturePath(fixture), ['--method', 'magnitude', '--sparsity', '0.5'], masked);
      const mine = await quenchPredict(masked, nchw);
      const { max, at } = maxAbsDiff(judged.outputs, mine.outputs);
      assert.ok(max <= TOLERANCE, `${fixture.file} as ${format}: the reader of record predicts up to ${max} away from the same pruning written as ONNX (output ${at}: ${judged.outputs[at]} vs ${mine.outputs[at]})`);
    });
  }
}

// The Keras-made zoo → ONNX.
const { manifest } = readManifest();
for (const zoo of manifest?.models ?? []) {
  test(`prune zoo ${zoo.name} --method magnitude --sparsity 0.5 --format onnx: onnxruntime loads the .onnx and predicts what Quench reads from it`, async (t) => {
    const sourceFile = (['keras', 'h5', 'tfjs'] as FileKind[]).map((k) => zooFile(zoo, k)).find((f): f is string => f !== null);
    if (!sourceFile) return t.skip(`${zoo.name} has no file`);
    const out = path.join(tmp, `zoo-${safe(zoo.name)}.onnx`);
    const run = await runCli(['prune', sourceFile, '--data', dataDir, '--limit', '64', '--method', 'magnitude', '--sparsity', '0.5', '--out', out, '--format', 'onnx']);
    assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
    const nhwc = await fashionImages(256);
    await judgeOnnx(out, { data: nhwc.data, shape: [256, 1, 28, 28] }, `zoo ${zoo.name} as ONNX`);
  });
}
