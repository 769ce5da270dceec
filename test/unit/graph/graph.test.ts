// The engine's model graph on real Keras-made models (test/fixtures/zoo, written by Keras 3.15.1)
// and the example VGG: nested models flattened with their paths, roles from the registry, units
// and the unit channels each mixing layer reads and writes (METHOD.md §15.1–§15.3).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../../../src/engine/formats/index';
import { buildGraph, classifierOf, defaultTargets, graphUnits, type ModelGraph } from '../../../src/engine/graph/index';
import { repoRoot } from '../formats/helpers';

const zoo = (file: string): string => path.join(repoRoot, 'test/fixtures/zoo', file);

async function graphOf(file: string): Promise<{ graph: ModelGraph; dispose(): void }> {
  const { model } = await openModel(file);
  return { graph: buildGraph(model), dispose: () => model.dispose() };
}

test('nested models are flattened into their layers, each with the path of models holding it', async () => {
  const { graph, dispose } = await graphOf(zoo('tfjs/teachable/model.json'));
  try {
    const conv = graph.node('sequential_1/model1/Conv1');
    assert.deepEqual(conv.path, ['sequential_1', 'model1']);
    assert.equal(conv.name, 'Conv1');
    assert.equal(graph.node('sequential_2/dense_Dense2').capability.role, 'mixing');
    // Topological order: every input is produced before it is read.
    const seen = new Set(graph.inputs);
    for (const node of graph.nodes) {
      for (const input of node.inputs) assert.ok(seen.has(input), `${node.id} reads ${input} before it exists`);
      node.outputs.forEach((t) => seen.add(t));
    }
    assert.deepEqual(graph.outputs, ['sequential_2/dense_Dense2']);
  } finally {
    dispose();
  }
});

test('the VGG chain: a unit per block, Flatten maps row p·F + f to filter f, defaults are §14\'s', async () => {
  const { graph, dispose } = await graphOf(path.join(repoRoot, 'examples/fashion-vgg/model.json'));
  try {
    const units = graphUnits(graph);
    assert.deepEqual([...units.units.keys()], ['relu1', 'pool2', 'relu3', 'pool4', 'relu5', 'pool6', 'output']);
    const rows = units.inputChannels('output')!;
    assert.equal(rows.length, 3 * 3 * 128);
    assert.deepEqual(rows[5 * 128 + 7], { unit: 'pool6', channel: 7 });
    assert.deepEqual(units.outputChannels('conv6')[3], { unit: 'pool6', channel: 3 });
    assert.equal(units.inputChannels('conv1'), null);
    assert.equal(classifierOf(graph)?.id, 'output');
    assert.deepEqual(defaultTargets(graph, units), ['conv5', 'conv6', 'output']);
  } finally {
    dispose();
  }
});

test('a ResNet: a conv writing into an Add writes the merged unit; both branches of a projection block do', async () => {
  const { graph, dispose } = await graphOf(zoo('resnet.keras'));
  try {
    const units = graphUnits(graph);
    const add = graph.nodes.find((n) => n.className === 'Add' && n.inputs.some((t) => t.startsWith('block2_proj')))!;
    const merged = [...units.units].find(([, u]) => u.source === add.id)![0];
    assert.equal(units.outputChannels('block2_proj_conv')[5]!.unit, merged);
    assert.equal(units.outputChannels('block2_2_conv')[5]!.unit, merged);
    assert.equal(units.inputChannels('block3_1_conv')![0]!.unit, units.inputChannels('block3_proj_conv')![0]!.unit);
  } finally {
    dispose();
  }
});

test('Inception: Concatenate places each branch at its offset, in both directions', async () => {
  const { graph, dispose } = await graphOf(zoo('inception.keras'));
  try {
    const units = graphUnits(graph);
    const concat = graph.nodes.find((n) => n.className === 'Concatenate')!;
    const widths = concat.inputs.map((t) => Number(graph.tensor(t).shape.at(-1)));
    const second = graph.tensor(concat.inputs[1]!).producer!;
    // The second branch's out-channel 0 is the merged unit's channel widths[0].
    const secondMixing = graph.nodes.find((n) => n.capability.role === 'mixing' && units.outputChannels(n.id)[0]!.channel === widths[0])!;
    assert.ok(secondMixing, `no mixing layer writes channel ${widths[0]} (second input from ${second})`);
    // A layer reading the concatenation sees channel widths[0] + 1 as that unit's channel widths[0] + 1.
    const reader = graph.nodes.find((n) => n.capability.role === 'mixing' && graph.node(n.id).inputs.length === 1 && units.inputChannels(n.id)?.[0]?.unit === units.outputChannels(secondMixing.id)[0]!.unit)!;
    assert.deepEqual(units.inputChannels(reader.id)![widths[0]! + 1]!.channel, widths[0]! + 1);
  } finally {
    dispose();
  }
});

test('squeeze-excite: the branch is a gate, the trunk passes its Multiply, depthwise keeps channels', async () => {
  const { graph, dispose } = await graphOf(zoo('squeeze_excite.keras'));
  try {
    const units = graphUnits(graph);
    const gates = graph.nodes.filter((n) => units.gateNodes.has(n.id)).map((n) => n.className);
    assert.ok(gates.includes('GlobalAveragePooling2D') && gates.includes('Conv2D'), `gate nodes: ${gates.join(', ')}`);
    const multiply = graph.nodes.find((n) => n.className === 'Multiply')!;
    const expand = graph.nodes.find((n) => n.capability.role === 'mixing' && units.outputChannels(n.id)[0]!.unit === units.inputChannels(graph.nodes[graph.nodes.indexOf(multiply) + 1]!.id)?.[0]?.unit)!;
    assert.ok(expand && !units.gateNodes.has(expand.id), 'the expand conv before the depthwise writes the unit the projection reads');
    for (const target of defaultTargets(graph, units)) assert.ok(!units.gateNodes.has(target), `${target} is in a gate branch`);
  } finally {
    dispose();
  }
});

test('the registry names what it refuses: a Reshape that moves values between channels', () => {
  const input = tf.input({ shape: [4, 4, 2] });
  const reshaped = tf.layers.reshape({ targetShape: [2, 16], name: 'scramble' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: reshaped });
  const graph = buildGraph(model);
  const node = graph.node('scramble');
  assert.equal(node.capability.role, 'unsupported');
  assert.match(node.capability.reason!, /moves values between channels/);
  model.dispose();
});
