import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { analyzeSfp, DEFAULT_SFP, sfpSection } from '../../../src/engine/sfp/analyze';
import { modelGraph } from '../../../src/engine/sfp/graph';
import { quietContext } from '../../../src/engine/core/context';
import { patchDataset, tinyVgg } from './helpers';

test('the graph finds each block cut after BN, ReLU and pooling, and which unit each kernel reads', () => {
  const model = tinyVgg(6);
  const g = modelGraph(model);
  assert.deepEqual(g.units.map((u) => [u.name, u.cut]), [
    ['conv1', 'pool1'],
    ['conv2', 'pool2'],
    ['conv3', 'conv3'],
    ['out', 'out'],
  ]);
  const reads = (t: (typeof g.targets)[number]): [string, string | null, number, string] => [
    t.name,
    t.inputUnits ? [...new Set(t.inputUnits.map((r) => r.unit))].join('+') : null,
    t.spatial,
    [...new Set(t.outputUnits.map((r) => r.unit))].join('+'),
  ];
  assert.deepEqual(g.targets.map(reads), [
    ['conv1', null, 9, 'conv1'],
    ['conv2', 'conv1', 9, 'conv2'],
    ['conv3', 'conv2', 9, 'conv3'],
    ['out', 'conv3', 4, 'out'],
  ]);
  assert.equal(g.output.name, 'out');
  assert.deepEqual(g.outputReads, { unit: 'conv3', via: 'flatten' });
  assert.equal(g.classes, 6);
  assert.deepEqual(g.units[2]!.cutShape, [2, 2, 8]);
  model.dispose();
});

test('analysis: trained readouts below, own output at the last block, deterministic, no leaks', async () => {
  const model = tinyVgg(6);
  const data = patchDataset(300, 6, 5);
  const options = { ...DEFAULT_SFP, readout: { ...DEFAULT_SFP.readout, epochs: 8, learningRate: 0.05 } };
  const before = tf.memory().numTensors;
  const first = await analyzeSfp(model, data, options, quietContext());
  assert.equal(tf.memory().numTensors, before);
  const section = sfpSection(first, 0.3);
  assert.deepEqual(section.layers.map((l) => [l.name, l.readout, l.filters.length]), [
    ['conv1', 'trained', 4],
    ['conv2', 'trained', 6],
    ['conv3', 'own-output', 8],
  ]);
  assert.equal(section.samples, 300);
  // The patch task is linearly separable from the first block's features.
  assert.ok(section.layers[0].readoutAccuracy > 0.6, `conv1 readout ${section.layers[0].readoutAccuracy}`);
  for (const layer of section.layers) {
    for (const f of layer.filters) {
      assert.deepEqual(f.labels, [...f.clusters.flat()].sort((a, b) => a - b));
      assert.ok(f.labels.every((l) => l >= 0 && l < 6));
    }
  }
  const second = await analyzeSfp(model, data, options, quietContext());
  second.layers.forEach((l, i) => assert.deepEqual(l.matrices.data, first.layers[i].matrices.data));
  assert.deepEqual(sfpSection(second, 0.3).layers, section.layers);
  // A higher threshold never grows a label set by much on average: fewer entries pass.
  const strict = sfpSection(first, 0.9);
  strict.layers.forEach((l, i) => assert.ok(l.meanLabels <= section.layers[i].meanLabels + 1e-9));
  model.dispose();
});
