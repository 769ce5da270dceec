// The fast training path on real Keras-made graphs (test/fixtures/zoo: residual Add, inverted
// residuals with DepthwiseConv2D, Inception with SeparableConv2D + Concatenate, squeeze-excite
// Multiply, nested bases, a Softmax layer head, Rescaling + ZeroPadding2D) and the repository's
// Fashion-MNIST images (examples/data): forward pass, BatchNorm re-estimation, masked fine-tuning.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../../../src/engine/formats/index';
import { openDataset, type Dataset } from '../../../src/engine/data/index';
import { buildGraph, layerById } from '../../../src/engine/graph/index';
import type { MaskSet } from '../../../src/engine/graph/masks';
import { quietContext } from '../../../src/engine/core/context';
import { finetune } from '../../../src/engine/train/finetune';
import { recalibrateBatchNorm } from '../../../src/engine/train/recalibrate';
import { TrainingGraph } from '../../../src/engine/train/graph';
import { repoRoot } from '../formats/helpers';
import { maxAbsDiff, useBackend, weightValues } from './helpers';

// The eight Keras files, and the Teachable-Machine-shaped TF.js export (a base two models deep).
const ZOO = ['resnet', 'mobilenetv2', 'inception', 'squeeze_excite', 'nested', 'softmax_head', 'rescaling_padding', 'sequential_cnn', 'teachable'];
const open = async (name: string) =>
  (await openModel(path.join(repoRoot, 'test/fixtures/zoo', name === 'teachable' ? 'tfjs/teachable/model.json' : `${name}.keras`))).model;

/** Keeps the larger half (by magnitude) of the masked kernel of every Conv2D, Dense, SeparableConv2D (pointwise) and DepthwiseConv2D. */
function halfMagnitudeMasks(model: tf.LayersModel): MaskSet {
  const kernels: Record<string, number> = { Conv2D: 0, Dense: 0, DepthwiseConv2D: 0, SeparableConv2D: 1 };
  return buildGraph(model).nodes.filter((n) => n.className in kernels).map((node) => {
    const kernel = node.layer.getWeights()[kernels[node.className]!]!;
    const values = kernel.dataSync();
    const cut = Float32Array.from(values, Math.abs).sort()[Math.floor(values.length / 2)]!;
    return { layer: node.id, shape: kernel.shape, keep: Uint8Array.from(values, (v) => (Math.abs(v) >= cut ? 1 : 0)) };
  });
}

function maskedKernel(model: tf.LayersModel, layer: string): Float32Array {
  const found = layerById(model, layer);
  return found.getWeights()[found.getClassName() === 'SeparableConv2D' ? 1 : 0]!.dataSync() as Float32Array;
}

describe('training on the Keras zoo graphs (wasm)', () => {
  let data: Dataset;
  let images: tf.Tensor4D;
  before(async () => {
    await useBackend('wasm');
    // 64 images: two batches of 32 for re-estimation, two steps of 32 for fine-tuning.
    data = await openDataset(path.join(repoRoot, 'examples/data'), { inputShape: [28, 28, 1], classes: 10, limit: 64, preprocessing: { scale: '0..1' } });
    for await (const batch of data.batches({ batchSize: 48, start: 16 })) {
      images = batch.x;
      break;
    }
  });

  for (const name of ZOO) {
    it(`${name}: forward pass equals model.predict; BatchNorm re-estimation changes only moving statistics; masked fine-tuning keeps masked weights at 0`, async (t) => {
      const model = await open(name);
      const tensorsBefore = tf.memory().numTensors;
      const graph = new TrainingGraph(model, [], new Set());
      const mine = tf.tidy(() => graph.forward(images, { training: false }));
      const theirs = model.predict(images) as tf.Tensor;
      assert.ok(maxAbsDiff(mine, theirs) <= 1e-4, `${name}: max |Δ| ${maxAbsDiff(mine, theirs)}`);
      const difference = maxAbsDiff(mine, theirs);
      tf.dispose([mine, theirs]);
      graph.dispose();
      assert.equal(tf.memory().numTensors, tensorsBefore, 'the forward pass leaked tensors');

      const names = model.weights.map((w) => w.originalName);
      const original = weightValues(model);
      const changed = await recalibrateBatchNorm(model, data, quietContext(), { batches: 2, batchSize: 32 });
      const recalibrated = weightValues(model);
      const moving = (i: number) => /moving_(mean|variance)$/.test(names[i]!);
      recalibrated.forEach((values, i) => {
        if (!moving(i)) assert.deepEqual(values, original[i], `${name}: ${names[i]} changed`);
      });
      const movedStats = recalibrated.filter((values, i) => moving(i) && values.some((v, j) => v !== original[i]![j])).length;
      assert.equal(movedStats, names.filter((_, i) => moving(i)).length, `${name}: ${movedStats} moving statistics changed`);
      assert.equal(changed.length * 2, movedStats);

      const masks = halfMagnitudeMasks(model);
      const kernelsBefore = masks.map((mask) => Float32Array.from(maskedKernel(model, mask.layer)));
      const info = await finetune(model, masks, data, { epochs: 1, batchSize: 32, seed: 1 }, quietContext());
      assert.equal(info.history.length, 1);
      assert.ok(Number.isFinite(info.history[0]!.loss), `${name}: loss ${info.history[0]!.loss}`);
      masks.forEach((mask, m) => {
        const kernel = maskedKernel(model, mask.layer);
        let kept = 0;
        let moved = 0;
        mask.keep.forEach((keep, i) => {
          if (!keep) assert.ok(Object.is(kernel[i], 0), `${name}: ${mask.layer}[${i}] is masked but ${kernel[i]}`);
          else {
            kept++;
            if (kernel[i] !== kernelsBefore[m]![i]) moved++;
          }
        });
        assert.ok(moved >= 0.9 * kept, `${name}: ${mask.layer}: ${moved} of ${kept} kept weights changed`);
      });
      t.diagnostic(`${name}: forward max |Δ| ${difference.toExponential(1)}, ${changed.length} BatchNorm layers re-estimated, ${masks.length} masks, loss ${info.history[0]!.loss.toFixed(3)}, ${Math.round(info.samplesPerSecond)} samples/s`);
      model.dispose();
    });
  }
});
