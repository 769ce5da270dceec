// Reading: every zoo file (and the example model's three files) opened by Quench predicts what
// Keras predicts on 256 Fashion-MNIST test images, and has Keras's parameter count. For a TF.js
// file Keras's reference is the same model's .keras (tf.loadLayersModel where the model has none).
// The example's .keras and .h5 load in Keras with 90.66% top-1 on the 10k test set.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { openModel } from '../../src/engine/formats/index';
import { KerasJudge, maxAbsDiff, predict, tfjsLoadPredict, type Judged } from './judge';
import { assertTakes, dataDir, exampleFile, exampleModel, FILE_KINDS, fashionImages, readManifest, rel, TOLERANCE, useWasm, zooFile, type FileKind, type ZooModel } from './zoo';

let judge: KerasJudge;
before(async () => {
  await useWasm();
  judge = new KerasJudge();
});
after(() => judge?.close());

const { manifest, problem } = readManifest();
if (problem) {
  test('zoo: the manifest lists the Keras-made models', () => {
    assert.fail(problem);
  });
}

const models: { model: ZooModel; fileOf: (kind: FileKind) => string | null }[] = [
  ...(manifest?.models ?? []).map((model) => ({ model, fileOf: (kind: FileKind) => zooFile(model, kind) })),
  { model: exampleModel, fileOf: exampleFile },
];

// One Keras (or tfjs) judgement and one Quench reading per file, shared by its two checks.
const memo = new Map<string, Promise<unknown>>();
function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as Promise<T>;
}

/**
 * Keras's predictions for `kind`'s file. A TF.js file is judged against the same model's Keras
 * files (.keras, else .h5 where Keras cannot load the .keras: that failure is its own test), and
 * by tf.loadLayersModel only where the model has no Keras file Keras loads.
 */
function reference(fileOf: (kind: FileKind) => string | null, kind: FileKind): Promise<Judged & { by: string }> {
  const file = fileOf(kind)!;
  const candidates = kind === 'tfjs' ? [fileOf('keras'), fileOf('h5')].filter((f): f is string => f !== null) : [file];
  return once(`ref:${candidates.join('|') || file}`, async () => {
    const batch = await fashionImages();
    const errors: string[] = [];
    for (const keras of candidates) {
      try {
        return { ...(await judge.loadPredict(keras, batch)), by: `Keras on ${rel(keras)}` };
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    if (kind !== 'tfjs') throw new Error(errors.join('\n'));
    try {
      return { ...(await tfjsLoadPredict(file, batch)), by: `tf.loadLayersModel on ${rel(file)}` };
    } catch (error) {
      throw new Error([...errors, (error as Error).message].join('\n'));
    }
  });
}

function quench(file: string): Promise<{ params: number; outputs: Float32Array; outputShape: number[] }> {
  return once(`quench:${file}`, async () => {
    const batch = await fashionImages();
    const loaded = await openModel(file);
    try {
      assertTakes(loaded.model, batch, file);
      return { params: loaded.model.countParams(), ...predict(loaded.model, batch) };
    } finally {
      loaded.model.dispose();
    }
  });
}

for (const { model, fileOf } of models) {
  for (const kind of FILE_KINDS) {
    const file = fileOf(kind);
    if (!file) continue;
    const label = `read ${model.name} ${kind} (${path.basename(file)})`;

    test(`${label}: Quench predicts what Keras predicts on 256 images`, async () => {
      const ref = await reference(fileOf, kind);
      const mine = await quench(file);
      assert.deepEqual(mine.outputShape, ref.outputShape, `output shape of ${rel(file)} vs ${ref.by}`);
      const { max, at } = maxAbsDiff(mine.outputs, ref.outputs);
      assert.ok(max <= TOLERANCE, `${rel(file)}: Quench's predictions differ from ${ref.by} by up to ${max} (output ${at}: ${mine.outputs[at]} vs ${ref.outputs[at]})`);
    });

    test(`${label}: Quench counts Keras's parameters`, async () => {
      const ref = await reference(fileOf, kind);
      const mine = await quench(file);
      assert.equal(mine.params, ref.params, `${rel(file)}: Quench counts ${mine.params} parameters, ${ref.by} ${ref.params}`);
    });
  }
}

// The 90.66% is on the full 10k test set, which Debian's dataset-fashion-mnist installs (CI does);
// examples/data holds its first 2,000 images, on which the model scores 90.80% (examples/README.md).
const fullTestSet = '/usr/share/datasets/fashion-mnist';
const accuracyData = existsSync(path.join(fullTestSet, 't10k-images-idx3-ubyte.gz'))
  ? { dir: fullTestSet, count: 10000, top1: 90.66, what: 'the 10k test set' }
  : { dir: dataDir, count: 2000, top1: 90.8, what: "examples/data's 2,000 test images (no /usr/share/datasets/fashion-mnist)" };

for (const kind of ['keras', 'h5'] as const) {
  test(`examples/fashion-vgg ${kind}: loads in Keras with ${accuracyData.top1.toFixed(2)}% ± 0.01 top-1 on ${accuracyData.what}`, async () => {
    const file = exampleFile(kind);
    const { dir, count, top1: expected } = accuracyData;
    const { top1, count: seen } = await judge.accuracy(file, path.join(dir, 't10k-images-idx3-ubyte.gz'), path.join(dir, 't10k-labels-idx1-ubyte.gz'));
    assert.equal(seen, count, `images in ${dir}`);
    assert.ok(Math.abs(top1 - expected) <= 0.01 + 1e-9, `${rel(file)}: Keras measures ${top1.toFixed(3)}% top-1, expected ${expected.toFixed(2)}%`);
  });
}
