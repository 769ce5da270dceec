// Writing: every zoo model, opened by Quench, saved with saveModel in every output format, (a) as
// loaded and (b) with the smaller-magnitude half of every Conv2D / Dense / DepthwiseConv2D /
// SeparableConv2D kernel zeroed. Keras loads each written .h5 / .keras (tf.loadLayersModel each
// model.json), predicts what Quench predicted on 256 images, and keeps every zero.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../src/engine/formats/index';
import type { ModelFormat } from '../../src/protocol/report';
import { KerasJudge, maxAbsDiff, predict, tfjsLoadPredict, type Judged } from './judge';
import { assertTakes, fashionImages, maskHalf, openFirst, OUTPUT_FORMATS, outputPath, readManifest, rel, TOLERANCE, useWasm, zooFile, type MaskedKernel, type ZooModel } from './zoo';

let judge: KerasJudge;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-keras-write-'));
const models: tf.LayersModel[] = [];
before(async () => {
  await useWasm();
  judge = new KerasJudge();
});
after(() => {
  judge?.close();
  models.forEach((m) => m.dispose());
  rmSync(tmp, { recursive: true, force: true });
});

const { manifest, problem } = readManifest();
if (problem) {
  test('zoo: the manifest lists the Keras-made models', () => {
    assert.fail(problem);
  });
}

interface Prepared {
  model: tf.LayersModel;
  source: string;
  outputs: Float32Array;
  outputShape: number[];
  masked: MaskedKernel[];
}

// One Quench reading per model and variant, shared by the three output formats.
const memo = new Map<string, Promise<Prepared>>();
function prepare(zoo: ZooModel, variant: 'unchanged' | 'masked'): Promise<Prepared> {
  const key = `${zoo.name}:${variant}`;
  if (!memo.has(key)) {
    memo.set(key, (async () => {
      const batch = await fashionImages();
      const { loaded, file } = await openFirst(zoo, (kind) => zooFile(zoo, kind));
      models.push(loaded.model);
      assertTakes(loaded.model, batch, file);
      const masked = variant === 'masked' ? maskHalf(loaded.model) : [];
      if (variant === 'masked' && masked.length === 0) throw new Error(`${rel(file)}: no Conv2D / Dense / DepthwiseConv2D / SeparableConv2D kernel to mask`);
      return { model: loaded.model, source: file, masked, ...predict(loaded.model, batch) };
    })());
  }
  return memo.get(key)!;
}

async function judgeWritten(file: string, format: ModelFormat): Promise<Judged> {
  const batch = await fashionImages();
  return format === 'tfjs-layers' ? tfjsLoadPredict(file, batch) : judge.loadPredict(file, batch);
}

for (const zoo of manifest?.models ?? []) {
  for (const format of OUTPUT_FORMATS) {
    for (const variant of ['unchanged', 'masked'] as const) {
      const reader = format === 'tfjs-layers' ? 'tf.loadLayersModel' : 'Keras';
      const what = variant === 'masked' ? 'with half of every kernel zeroed' : 'as loaded';
      test(`write ${zoo.name} → ${format}, ${what}: ${reader} loads it and predicts what Quench predicts${variant === 'masked' ? ', zeros kept' : ''}`, async (t) => {
        const prepared = await prepare(zoo, variant);
        t.diagnostic(`source: ${rel(prepared.source)}`);
        const out = outputPath(path.join(tmp, `${zoo.name}-${variant}-${format}`), format);
        await saveModel(prepared.model, out, format);
        const judged = await judgeWritten(out, format);
        assert.deepEqual(judged.outputShape, prepared.outputShape, `output shape of the written ${format}`);
        const { max, at } = maxAbsDiff(judged.outputs, prepared.outputs);
        assert.ok(max <= TOLERANCE, `${zoo.name} written as ${format}: ${reader} predicts up to ${max} away from Quench (output ${at}: ${judged.outputs[at]} vs ${prepared.outputs[at]})`);
        const lost: string[] = [];
        for (const kernel of prepared.masked) {
          const written = judged.weights.filter((w) => w.layer === kernel.layer)[kernel.index];
          const name = `${kernel.layer}/${kernel.weight}`;
          if (!written) lost.push(`${name}: the written file has no weight ${kernel.index} in a layer "${kernel.layer}"`);
          else if (written.shape.join('x') !== kernel.shape.join('x')) lost.push(`${name}: weight ${kernel.index} of "${kernel.layer}" is ${written.path} [${written.shape}], not [${kernel.shape}]`);
          else if (written.zeros < kernel.zeros) lost.push(`${name}: ${written.zeros} zeros in ${written.path}, Quench zeroed ${kernel.zeros} of ${kernel.size}`);
        }
        assert.deepEqual(lost, [], `${zoo.name} written as ${format}: zeros lost according to ${reader}`);
      });
    }
  }
}
