// The training path on graphs built here (every layer kind the zoo lacks, shared layers, refused
// layers) and the zoo ResNet: end-to-end gradients against tfjs autodiff, the frozen prefix cut
// on a branching graph, the default layers to train, and refusals that name the layer.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../../../src/engine/formats/index';
import { openDataset } from '../../../src/engine/data/index';
import { buildGraph } from '../../../src/engine/graph/index';
import { EngineFailure } from '../../../src/engine/core/errors';
import { quietContext } from '../../../src/engine/core/context';
import { finetune } from '../../../src/engine/train/finetune';
import { recalibrateBatchNorm } from '../../../src/engine/train/recalibrate';
import { TrainingGraph } from '../../../src/engine/train/graph';
import { networkOf } from '../../../src/engine/train/network';
import { mergeTensors } from '../../../src/engine/train/ops';
import { defaultTrainLayers } from '../../../src/engine/train/options';
import { repoRoot } from '../formats/helpers';
import { arrayDataset, maxAbsDiff, mixedGraph, randomMask, useBackend, weightValues } from './helpers';

const resnet = async () => (await openModel(path.join(repoRoot, 'test/fixtures/zoo/resnet.keras'))).model;

function randomData(size: number, seed: number) {
  const x = Float32Array.from(tf.randomUniform([size * 8 * 8 * 3], 0, 1, 'float32', seed).dataSync());
  const y = Int32Array.from({ length: size }, (_, i) => (i * 7 + seed) % 5);
  return arrayDataset(x, y, [8, 8, 3], 5);
}

/** Gradients of Σ out·probe w.r.t. every trained weight: the training graph's vs tfjs autodiff of the model's own layers. */
function gradientGap(model: tf.LayersModel, input: tf.Tensor): { worst: number; variables: number } {
  const graph = new TrainingGraph(model, [], new Set(networkOf(model).steps.map((s) => s.layer)));
  const probe = tf.tidy(() => tf.sin(tf.range(0, 10 * input.shape[0]).reshape([input.shape[0], -1])));
  const objective = (out: tf.Tensor) => tf.sum(tf.mul(out, tf.slice(probe, [0, 0], out.shape as [number, number]))) as tf.Scalar;
  const seen = new Set<tf.layers.Layer>();
  const layerVariables = buildGraph(model).nodes
    .filter((n) => !seen.has(n.layer) && seen.add(n.layer))
    .flatMap((n) => n.layer.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read()));
  const theirs = tf.variableGrads(() => objective(model.apply(input, { training: false }) as tf.Tensor), layerVariables);
  const mine = tf.variableGrads(() => objective(graph.forward(input, { training: false })), graph.trainableVariables());
  const expected = layerVariables.map((v) => theirs.grads[v.name]!);
  const actual = graph.trainableVariables().map((v) => mine.grads[v.name]!);
  assert.equal(actual.length, expected.length);
  const worst = Math.max(...expected.map((e, i) => {
    assert.deepEqual(actual[i]!.shape, e.shape);
    return maxAbsDiff(e, actual[i]!) / Math.max(1e-3, tf.tidy(() => tf.max(tf.abs(e)).dataSync()[0]!));
  }));
  tf.dispose([probe, theirs.value, mine.value, ...Object.values(theirs.grads), ...Object.values(mine.grads)]);
  graph.dispose();
  return { worst, variables: expected.length };
}

describe('training graphs: gradients against tfjs autodiff (cpu)', () => {
  before(() => useBackend('cpu'));

  it('a graph with every extra layer kind, shared layers, SE gate and Dense over a feature map', (t) => {
    const model = mixedGraph();
    const x = tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 5);
    const { worst, variables } = gradientGap(model, x);
    t.diagnostic(`${variables} variables, worst relative gap ${worst.toExponential(1)}`);
    assert.ok(worst < 1e-3, `relative gap ${worst}`);
    x.dispose();
    model.dispose();
  });

  it('the zoo ResNet (residual Add, strided convs, projection shortcuts)', async (t) => {
    const model = await resnet();
    // Smaller images than the model's 28×28 (every layer is size-agnostic): the cpu backend is slow.
    const x = tf.randomUniform([2, 12, 12, 1], 0, 1, 'float32', 6);
    const { worst, variables } = gradientGap(model, x);
    t.diagnostic(`${variables} variables, worst relative gap ${worst.toExponential(1)}`);
    assert.ok(worst < 1e-3, `relative gap ${worst}`);
    x.dispose();
    model.dispose();
  });

  it('Subtract (no tfjs layer to load it): first minus second, lower ranks broadcast after the batch axis', () => {
    const a = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const b = tf.tensor2d([1, 10], [1, 2]);
    const y = mergeTensors('subtract', [a, b]);
    assert.deepEqual(Array.from(y.dataSync()), [0, -8, 2, -6, 4, -4, 6, -2]);
    tf.dispose([a, b, y]);
  });
});

describe('training graphs (wasm)', () => {
  before(() => useBackend('wasm'));

  it('the mixed graph: forward pass, re-estimation and masked fine-tuning (shared conv, depthwise, separable pointwise)', async () => {
    const model = mixedGraph(3);
    const data = randomData(64, 1);
    const x = tf.randomUniform([6, 8, 8, 3], 0, 1, 'float32', 7);
    const tensorsBefore = tf.memory().numTensors;
    const graph = new TrainingGraph(model, [], new Set());
    const mine = tf.tidy(() => graph.forward(x, { training: false }));
    const theirs = model.predict(x) as tf.Tensor;
    assert.ok(maxAbsDiff(mine, theirs) <= 1e-4, `max |Δ| ${maxAbsDiff(mine, theirs)}`);
    tf.dispose([mine, theirs]);
    graph.dispose();

    assert.deepEqual(await recalibrateBatchNorm(model, data, quietContext(), { batches: 2, batchSize: 32 }), ['bn']);
    const masks = ['stem', 'shared', 'dw', 'sep', 'se_expand', 'dense_map', 'logits'].map((layer, i) => randomMask(model, layer, 0.5, 10 + i, layer === 'sep' ? 1 : 0));
    const before = weightValues(model);
    const info = await finetune(model, masks, data, { epochs: 1, batchSize: 32, seed: 2, trainLayers: [...masks.map((m) => m.layer), 'bn', 'sep', 'dropout'] }, quietContext());
    assert.ok(Number.isFinite(info.history[0]!.loss));
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
    for (const mask of masks) {
      const layer = model.getLayer(mask.layer);
      const at = layer.getClassName() === 'SeparableConv2D' ? 1 : 0;
      const kernel = layer.getWeights()[at]!.dataSync();
      const original = before[model.weights.indexOf(layer.weights[at]!)]!;
      let moved = 0;
      mask.keep.forEach((keep, i) => {
        if (!keep) assert.ok(Object.is(kernel[i], 0), `${mask.layer}[${i}] is masked but ${kernel[i]}`);
        else if (kernel[i] !== original[i]) moved++;
      });
      assert.ok(moved > 0.9 * mask.keep.reduce((a, b) => a + b, 0), `${mask.layer}: ${moved} kept weights changed`);
    }
    x.dispose();
    model.dispose();
  });

  it('caches the frozen prefix of a branching graph up to the last cut with one live tensor', async () => {
    const model = await resnet();
    const steps = networkOf(model).steps;
    const at = (layer: string) => steps.findIndex((s) => s.layer === layer);
    // block3_2_conv's input is one of two live branches (block3_proj_conv still reads block2_out).
    const graph = new TrainingGraph(model, [], new Set(['block3_2_conv', 'block3_2_bn', 'predictions']));
    assert.equal(graph.frozenPrefixEnd(), at('block3_1_conv'));
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 8);
    const whole = tf.tidy(() => graph.forward(x, { training: false }));
    const resumed = tf.tidy(() => graph.forward(graph.forward(x, { training: false, to: at('block3_1_conv') }), { training: false, from: at('block3_1_conv') }));
    assert.deepEqual(Array.from(resumed.dataSync()), Array.from(whole.dataSync()));
    assert.throws(() => graph.forward(x, { training: false, to: at('block3_2_conv') }), /one live tensor/);
    tf.dispose([x, whole, resumed]);
    graph.dispose();

    const messages: string[] = [];
    const ctx = { ...quietContext(), progress: (p: { message?: string }) => p.message && messages.push(p.message) };
    const data = await openDataset(path.join(repoRoot, 'examples/data'), { inputShape: [28, 28, 1], classes: 10, limit: 64, preprocessing: { scale: '0..1' } });
    const info = await finetune(model, [], data, { epochs: 1, batchSize: 32, trainLayers: ['block3_2_conv', 'block3_2_bn', 'predictions'] }, ctx);
    assert.ok(Number.isFinite(info.history[0]!.loss));
    assert.ok(messages.includes('Computing the frozen layers once'), 'the frozen prefix was not cached');
    model.dispose();
  });

  it('trains the masked layer, the weight layers feeding it along every branch, and their BatchNorms', async () => {
    const model = await resnet();
    const { steps } = networkOf(model);
    const mask = (layer: string) => [randomMask(model, layer, 0.5, 1)];
    assert.deepEqual(defaultTrainLayers(steps, mask('block3_2_conv')), ['block3_1_conv', 'block3_1_bn', 'block3_2_conv', 'block3_2_bn']);
    assert.deepEqual(defaultTrainLayers(steps, mask('block3_1_conv')), ['block2_2_conv', 'block2_2_bn', 'block2_proj_conv', 'block2_proj_bn', 'block3_1_conv', 'block3_1_bn']);
    model.dispose();
  });

  it('refuses layers outside the table by name and class, inside nested models too', () => {
    const refused = (model: tf.LayersModel, pattern: RegExp) => assert.throws(() => networkOf(model), (error: unknown) => {
      assert.ok(error instanceof EngineFailure && error.code === 'unsupported', String(error));
      assert.match((error as Error).message, pattern);
      return true;
    });
    const upsampling = tf.sequential({ layers: [tf.layers.conv2d({ name: 'c', inputShape: [4, 4, 1], filters: 2, kernelSize: 1 }), tf.layers.upSampling2d({ name: 'up' }), tf.layers.flatten({ name: 'f' })] });
    refused(upsampling, /layer "up" \(UpSampling2D\): this layer type is not supported for fine-tuning/);
    const base = tf.sequential({ name: 'base', layers: [tf.layers.permute({ name: 'swap', inputShape: [4, 4, 1], dims: [2, 1, 3] })] });
    const nested = tf.sequential({ layers: [base, tf.layers.flatten({ name: 'f2' }), tf.layers.dense({ name: 'd', units: 2 })] });
    refused(nested, /layer "base\/swap" \(Permute\): this layer type is not supported for fine-tuning \(no pruning rule/);
    const dilated = tf.sequential({ layers: [tf.layers.conv2d({ name: 'dil', inputShape: [6, 6, 1], filters: 2, kernelSize: 3, dilationRate: 2 })] });
    refused(dilated, /layer "dil" \(Conv2D\): dilated convolutions/);
    [upsampling, nested, dilated].forEach((m) => m.dispose());
  });
});
