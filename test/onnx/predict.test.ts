// Quench reads every real PyTorch export of test/fixtures/onnx as onnxruntime runs it: the same
// outputs on 256 images (Fashion-MNIST for the trained nets, a seeded random NCHW batch for the
// 3x32x32 structure nets), max |Δ| ≤ 1e-4; and for the trained nets `quench eval` (the real CLI)
// reports the top-1 onnxruntime measures on the 2,000 images of examples/data, which is also the
// figure make-onnx.py recorded in the manifest.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EvalReport, InspectReport } from '../../src/protocol/report';
import { useWasm, fashionImages, dataDir } from '../keras/zoo';
import { fixturePath, maxAbsDiff, OnnxJudge, quenchPredict, randomBatch, readFixtures, rel, repoRoot, runCli, type Batch } from './judge';

export const TOLERANCE = 1e-4;
const images = path.join(dataDir, 't10k-images-idx3-ubyte.gz');
const labels = path.join(dataDir, 't10k-labels-idx1-ubyte.gz');

let judge: OnnxJudge;
before(async () => {
  await useWasm();
  judge = new OnnxJudge();
});
after(() => judge?.close());

const fixtures = readFixtures();

/** The 256 images a fixture is judged on, NCHW. */
async function batchFor(shape: [null, number, number, number]): Promise<Batch> {
  const [, c, h, w] = shape;
  if (c === 1 && h === 28 && w === 28) {
    const nhwc = await fashionImages(256); // one channel: NHWC and NCHW are the same bytes
    return { data: nhwc.data, shape: [256, 1, 28, 28] };
  }
  return randomBatch([256, c, h, w]);
}

test('the manifest lists both exporters of all four architectures, and each file is the one it describes', () => {
  const names = new Set(fixtures.map((f) => `${f.architecture}/${f.exporter}`));
  for (const arch of ['resnet18', 'mobilenetv3', 'fashion-cnn', 'fashion-resnet']) {
    for (const exporter of ['torchscript', 'dynamo']) assert.ok(names.has(`${arch}/${exporter}`), `test/fixtures/onnx/manifest.json lacks ${arch} exported by ${exporter}`);
  }
  for (const f of fixtures) {
    const digest = createHash('sha256').update(readFileSync(fixturePath(f))).digest('hex');
    assert.equal(digest, f.sha256, `${f.file} is not the file make-onnx.py recorded (rerun it, or restore the file)`);
  }
});

test('the example workspace\'s ONNX model is the trained ResNet fixture, so every check here covers it', () => {
  const example = path.join(repoRoot, 'examples/fashion-resnet-pytorch/fashion-resnet.onnx');
  const fixture = fixtures.find((f) => f.architecture === 'fashion-resnet' && f.exporter === 'torchscript');
  assert.ok(fixture);
  assert.equal(createHash('sha256').update(readFileSync(example)).digest('hex'), fixture.sha256, `${rel(example)} differs from ${fixture.file}: copy it again`);
});

for (const fixture of fixtures) {
  test(`${fixture.file} (${fixture.exporter}, opset ${fixture.opset}): Quench predicts what onnxruntime predicts on 256 images`, async () => {
    const file = fixturePath(fixture);
    const batch = await batchFor(fixture.inputShape);
    const judged = await judge.loadPredict(file, batch);
    const mine = await quenchPredict(file, batch);
    assert.deepEqual(mine.outputShape, judged.outputShape, `${rel(file)}: output shape`);
    const { max, at } = maxAbsDiff(judged.outputs, mine.outputs);
    assert.ok(max <= TOLERANCE, `${rel(file)}: Quench's outputs are up to ${max} away from onnxruntime's (output ${at}: ${mine.outputs[at]} vs ${judged.outputs[at]})`);
  });
}

for (const fixture of fixtures.filter((f) => f.onnxruntimeTop1 !== undefined)) {
  test(`quench eval ${fixture.file}: top-1 on examples/data equals onnxruntime's (${fixture.onnxruntimeTop1}% recorded)`, async () => {
    const file = fixturePath(fixture);
    const ort = await judge.accuracy(file, images, labels);
    assert.equal(ort.count, 2000);
    assert.equal(Math.round(ort.top1 * 100) / 100, fixture.onnxruntimeTop1, `onnxruntime's top-1 on ${fixture.file} is not what make-onnx.py recorded`);
    const run = await runCli(['eval', file, '--data', dataDir, '--json']);
    assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
    const report = JSON.parse(run.output.slice(run.output.indexOf('{'))) as EvalReport;
    assert.equal(report.accuracy.samples, 2000);
    assert.equal(Math.round(report.accuracy.top1 * 2000), Math.round((ort.top1 / 100) * 2000), `${run.command}: Quench counts ${report.accuracy.top1 * 100}% right, onnxruntime ${ort.top1}%`);
  });
}

for (const fixture of fixtures.filter((f) => f.exporter !== 'torchscript-bn')) {
  test(`quench inspect ${fixture.file}: the layer table's output shapes are the file's [N, C, H, W], as onnx.shape_inference gives them`, async () => {
    const file = fixturePath(fixture);
    const inferred = await judge.convShapes(file);
    const run = await runCli(['inspect', file, '--json']);
    assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
    const report = JSON.parse(run.output.slice(run.output.indexOf('{'))) as InspectReport;
    assert.deepEqual(report.model.inputShape, fixture.inputShape.slice(1), 'input shape');
    // Compared as multisets: the report lists layers in its own topological order.
    const sorted = (shapes: (number | null)[][]) => shapes.map((s) => JSON.stringify(s.slice(1))).sort();
    const of = (classes: string[]) => report.layers.filter((l) => classes.includes(l.className)).map((l) => l.outputShape);
    assert.deepEqual(sorted(of(['Conv2D', 'DepthwiseConv2D'])), sorted(inferred.Conv ?? []), `${run.command}: convolution output shapes`);
    assert.deepEqual(sorted(of(['Dense'])), sorted(inferred.Gemm ?? []), `${run.command}: Gemm/MatMul output shapes`);
  });
}
