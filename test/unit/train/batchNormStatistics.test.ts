// What the BatchNorm moving statistics are after fine-tuning with BatchNorm in training mode.
// Training normalises by batch statistics and blends them into the moving ones (Keras's rule,
// m ← m·momentum + batch·(1 − momentum)); after one short epoch with every layer of a Keras-made
// graph moving, that blend still describes mostly the weights from before, and the model the user
// gets back (inference mode) predicted worse than the one that trained. By default the statistics
// of the layers that trained are measured afresh with the final weights.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../../../src/engine/formats/index';
import { openDataset, type Dataset } from '../../../src/engine/data/index';
import { quietContext } from '../../../src/engine/core/context';
import { finetune, graphAccuracy } from '../../../src/engine/train/finetune';
import { TrainingGraph } from '../../../src/engine/train/graph';
import { networkOf } from '../../../src/engine/train/network';
import { hasKernel } from '../../../src/engine/train/steps';
import { batchSource } from '../../../src/engine/train/batches';
import { resolveOptions } from '../../../src/engine/train/options';
import { repoRoot } from '../formats/helpers';
import { quadrantDataset, tinyCnn, useBackend, weightValues } from './helpers';

/** Mean cross-entropy of the model in inference mode (moving statistics) on samples [0, end). */
async function inferenceLoss(model: tf.LayersModel, data: Dataset, end = data.size): Promise<number> {
  const graph = new TrainingGraph(model, [], new Set());
  let sum = 0;
  for await (const batch of data.batches({ batchSize: 250, end })) {
    const loss = tf.tidy(() => tf.sum(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batch.y, 'int32'), data.classes), graph.forward(batch.x, { training: false, logits: true }), undefined, 0, tf.Reduction.NONE)));
    sum += (await loss.data())[0]!;
    tf.dispose([loss, batch.x]);
  }
  graph.dispose();
  return sum / end;
}

function everyLayer(model: tf.LayersModel): string[] {
  return [...new Set(networkOf(model).steps.filter((s) => hasKernel(s) || s.kind === 'batchnorm').map((s) => s.layer))];
}

describe('BatchNorm statistics after fine-tuning (wasm)', () => {
  before(() => useBackend('wasm'));

  it('the zoo ResNet, every layer training one epoch (SGD, lr 0.003), does not predict its own training images worse than before', async (t) => {
    // 1,000 of the repository's Fashion-MNIST images as training data: 15 steps of 64. Measured:
    // before loss 0.349, top-1 88.3%; momentum blend 0.515, 82.5%; re-estimated 0.340, 88.8%.
    const data = await openDataset(path.join(repoRoot, 'examples/data'), { inputShape: [28, 28, 1], classes: 10, limit: 1000, preprocessing: { scale: '0..1' } });
    const file = path.join(repoRoot, 'test/fixtures/zoo/resnet.keras');
    const results: Record<string, { loss: number; accuracy: number; trainingLoss: number }> = {};
    let start = { loss: 0, accuracy: 0 };
    for (const statistics of ['momentum', 'reestimate'] as const) {
      const { model } = await openModel(file);
      const ctx = quietContext();
      if (statistics === 'momentum') {
        const graph = new TrainingGraph(model, [], new Set());
        start = { loss: await inferenceLoss(model, data), accuracy: await graphAccuracy(graph, data, 0, data.size, ctx) };
        graph.dispose();
      }
      const info = await finetune(model, [], data, { epochs: 1, seed: 1, learningRate: 0.003, trainLayers: everyLayer(model), batchNormStatistics: statistics }, ctx);
      const graph = new TrainingGraph(model, [], new Set());
      results[statistics] = { loss: await inferenceLoss(model, data), accuracy: await graphAccuracy(graph, data, 0, data.size, ctx), trainingLoss: info.history[0]!.loss };
      graph.dispose();
      model.dispose();
    }
    const line = (r: { loss: number; accuracy: number }) => `loss ${r.loss.toFixed(3)}, top-1 ${(r.accuracy * 100).toFixed(1)}%`;
    t.diagnostic(`before: ${line(start)}; momentum blend: ${line(results.momentum!)}; re-estimated: ${line(results.reestimate!)} (training-mode loss ${results.reestimate!.trainingLoss.toFixed(3)})`);
    // The blend is what Keras's fit leaves: the model got worse on the very images it trained on.
    assert.ok(results.momentum!.loss > start.loss, `the momentum blend leaves stale statistics (loss ${start.loss} → ${results.momentum!.loss})`);
    // Re-estimated, the model is at least as good on them as before training, and better than the blend.
    assert.ok(results.reestimate!.loss <= start.loss, `re-estimated statistics: loss ${start.loss} → ${results.reestimate!.loss}`);
    assert.ok(results.reestimate!.accuracy >= start.accuracy - 0.01, `re-estimated statistics: top-1 ${start.accuracy} → ${results.reestimate!.accuracy}`);
    assert.ok(results.reestimate!.loss < results.momentum!.loss);
  });

  it('"momentum" follows Keras\'s update rule; re-estimation sets exactly the trained BatchNorm layers to the average batch moments of the final weights', async () => {
    const data = quadrantDataset(128, 5);
    // A learning rate of 0: the weights never move, so every batch's moments are those of the
    // starting weights and both rules can be computed here from the same batches.
    const options = { epochs: 1, batchSize: 32, seed: 2, learningRate: 0, weightDecay: 0, trainLayers: ['conv2', 'bn2', 'output'] };
    const start = tinyCnn(3);
    const names = start.weights.map((w) => w.originalName);
    const startValues = weightValues(start);
    const at = (values: Float32Array[], name: string) => Array.from(values[names.indexOf(name)]!);
    /** bn2's batch moments over one shuffled pass of the training source (as finetune draws it). */
    const passMoments = async (pass: number) => {
      const graph = new TrainingGraph(start, [], new Set(options.trainLayers));
      const source = await batchSource(graph, data, [0, data.size], resolveOptions(options), quietContext());
      const moments: { mean: number[]; variance: number[] }[] = [];
      for await (const batch of source.epoch(pass, true)) {
        const stats = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
        tf.tidy(() => {
          graph.forward(batch.x, { training: true, from: graph.frozenPrefixEnd(), batchStats: stats });
        });
        moments.push({ mean: Array.from(stats.get('bn2')!.mean.dataSync()), variance: Array.from(stats.get('bn2')!.variance.dataSync()) });
        tf.dispose([batch.x, batch.y, ...[...stats.values()].flatMap((v) => [v.mean, v.variance])]);
      }
      source.dispose();
      graph.dispose();
      return moments;
    };
    const training = await passMoments(0);
    const afterwards = await passMoments(1);
    assert.equal(training.length, 4);
    const momentum = 0.99; // tf.layers.batchNormalization's default, as Keras's
    const kerasRule = (initial: number[], key: 'mean' | 'variance') => training.reduce((m, b) => m.map((v, c) => v * momentum + b[key][c]! * (1 - momentum)), initial);
    const average = (key: 'mean' | 'variance') => afterwards[0]![key].map((_, c) => afterwards.reduce((sum, b) => sum + b[key][c]!, 0) / afterwards.length);
    const close = (actual: number[], expected: number[], what: string) =>
      actual.forEach((v, c) => assert.ok(Math.abs(v - expected[c]!) <= 1e-5 * (1 + Math.abs(expected[c]!)), `${what}[${c}]: ${v}, expected ${expected[c]}`));

    const blended = tinyCnn(3);
    await finetune(blended, [], data, { ...options, batchNormStatistics: 'momentum' }, quietContext());
    const blendedValues = weightValues(blended);
    close(at(blendedValues, 'bn2/moving_mean'), kerasRule(at(startValues, 'bn2/moving_mean'), 'mean'), 'Keras rule, moving mean');
    close(at(blendedValues, 'bn2/moving_variance'), kerasRule(at(startValues, 'bn2/moving_variance'), 'variance'), 'Keras rule, moving variance');
    blended.dispose();

    const measured = tinyCnn(3);
    await finetune(measured, [], data, options, quietContext());
    const measuredValues = weightValues(measured);
    close(at(measuredValues, 'bn2/moving_mean'), average('mean'), 're-estimated moving mean');
    close(at(measuredValues, 'bn2/moving_variance'), average('variance'), 're-estimated moving variance');
    for (const name of ['bn1/moving_mean', 'bn1/moving_variance', 'conv2/kernel', 'bn2/gamma']) {
      assert.deepEqual(at(measuredValues, name), at(startValues, name), `${name} is unchanged (bn1 did not train; the learning rate is 0)`);
    }
    measured.dispose();
    start.dispose();
  });
});
