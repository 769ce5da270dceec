import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { finetune } from '../../../src/engine/train/finetune';
import { TrainingGraph } from '../../../src/engine/train/graph';
import { defaultTrainLayers } from '../../../src/engine/train/options';
import { chainOf } from '../../../src/engine/train/network';
import { JobCancelled } from '../../../src/engine/core/errors';
import { quietContext, type JobContext } from '../../../src/engine/core/context';
import { maxAbsDiff, quadrantDataset, randomMask, tinyCnn, useBackend, weightValues } from './helpers';

describe('masked fine-tuning (wasm)', () => {
  before(() => useBackend('wasm'));

  it('runs the same forward pass as model.predict', () => {
    const model = tinyCnn();
    const graph = new TrainingGraph(model, [], new Set());
    const x = tf.randomUniform([5, 6, 6, 2], 0, 1, 'float32', 3);
    const mine = graph.forward(x, { training: false });
    const theirs = model.predict(x) as tf.Tensor;
    assert.ok(maxAbsDiff(mine, theirs) < 1e-4, `max difference ${maxAbsDiff(mine, theirs)}`);
    tf.dispose([x, mine, theirs]);
    graph.dispose();
    model.dispose();
  });

  it('trains the masked layers and their neighbours by default', () => {
    const model = tinyCnn();
    const { steps } = chainOf(model);
    assert.deepEqual(defaultTrainLayers(steps, [randomMask(model, 'output', 0.5, 1)]), ['conv2', 'bn2', 'output']);
    assert.deepEqual(defaultTrainLayers(steps, [randomMask(model, 'conv2', 0.5, 1)]), ['conv1', 'bn1', 'conv2', 'bn2']);
    model.dispose();
  });

  it('keeps every masked weight exactly zero while the others learn, without leaking tensors', async () => {
    const model = tinyCnn();
    const masks = [randomMask(model, 'conv2', 0.4, 2), randomMask(model, 'output', 0.3, 3)];
    const data = quadrantDataset(96);
    const beforeValues = weightValues(model);
    const tensorsBefore = tf.memory().numTensors;
    const info = await finetune(model, masks, data, { epochs: 2, batchSize: 16, learningRate: 0.05, seed: 4, heldOutFraction: 0.25 }, quietContext());
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.deepEqual(info.trainLayers, ['conv1', 'bn1', 'conv2', 'bn2', 'output']);
    assert.equal(info.history.length, 2);
    assert.ok(info.history.every((h) => Number.isFinite(h.loss) && h.heldOutAccuracy !== null));
    for (const mask of masks) {
      const kernel = model.getLayer(mask.layer).getWeights()[0].dataSync();
      let changed = 0;
      const original = beforeValues[model.weights.findIndex((w) => w.originalName === `${mask.layer}/kernel`)];
      mask.keep.forEach((keep, i) => {
        if (!keep) assert.equal(kernel[i], 0, `${mask.layer} weight ${i} is masked but ${kernel[i]}`);
        else if (kernel[i] !== original[i]) changed++;
      });
      assert.ok(changed > 0, `${mask.layer}: no kept weight changed`);
    }
    model.dispose();
  });

  it('stops on cancellation mid-epoch with JobCancelled and leaves the model unchanged', async () => {
    const model = tinyCnn();
    const beforeValues = weightValues(model);
    const tensorsBefore = tf.memory().numTensors;
    const controller = new AbortController();
    let steps = 0;
    const ctx: JobContext = {
      ...quietContext(controller.signal),
      progress: (p) => {
        if (p.step !== undefined && p.epoch !== undefined && ++steps >= 1) controller.abort();
      },
    };
    await assert.rejects(
      finetune(model, [randomMask(model, 'output', 0.5, 5)], quadrantDataset(64), { epochs: 3, batchSize: 8 }, ctx),
      JobCancelled,
    );
    assert.equal(tf.memory().numTensors, tensorsBefore);
    weightValues(model).forEach((values, i) => assert.deepEqual(values, beforeValues[i]));
    model.dispose();
  });

  it('learns: held-out accuracy rises on a separable task (Adam, all layers, frozen BatchNorm statistics)', async () => {
    const model = tinyCnn(9);
    const data = quadrantDataset(240, 21);
    const info = await finetune(model, [], data, { epochs: 4, batchSize: 16, optimizer: 'adam', learningRate: 0.01, heldOutFraction: 0.2, seed: 1, patience: 4, batchNorm: 'frozen' }, quietContext());
    const accuracies = info.history.map((h) => h.heldOutAccuracy!);
    assert.ok(Math.max(...accuracies) > 0.8, `held-out accuracies ${accuracies.join(', ')}`);
    model.dispose();
  });

  it("SGD's default learning rate: 0.01 for the default layers around masked ones, 0.001 for any other choice; an explicit one wins", async () => {
    const data = quadrantDataset(32, 4);
    const run = async (options: { trainLayers?: string[]; learningRate?: number; optimizer?: 'adam' }, masked: boolean) => {
      const model = tinyCnn(4);
      const masks = masked ? [randomMask(model, 'conv2', 0.5, 1)] : [];
      const info = await finetune(model, masks, data, { epochs: 1, batchSize: 16, ...options }, quietContext());
      model.dispose();
      return info.learningRate;
    };
    assert.equal(await run({}, true), 0.01, 'METHOD.md §8: the blocks around the pruned connection');
    assert.equal(await run({ trainLayers: ['conv1', 'bn1', 'conv2', 'bn2', 'output'] }, true), 0.001, 'every layer, named by the caller');
    assert.equal(await run({ trainLayers: ['conv2'] }, true), 0.001, "the caller's own choice");
    assert.equal(await run({}, false), 0.001, 'nothing masked: every layer trains');
    assert.equal(await run({ trainLayers: ['conv2'], learningRate: 0.02 }, true), 0.02);
    assert.equal(await run({ optimizer: 'adam' }, true), 0.001);
  });
});
