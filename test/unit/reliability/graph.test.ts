// The Functional graph check (src/engine/limits/graph.ts) must refuse what would make tfjs loop
// forever without refusing valid graphs that use node indices: a shared layer called twice (node
// 1) and a nested model (its node 0 is internal, calls start at 1). The valid topologies are the
// ones tfjs itself writes; each is rebuilt through the engine's reader path to prove it loads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildLayersModel, serializeModel, weightBytes } from '../../../src/engine/formats/build';
import { EngineFailure } from '../../../src/engine/core/errors';
import { assertGraphWellFormed } from '../../../src/engine/limits/graph';

type Json = Record<string, unknown> & { config: { layers: Record<string, unknown>[] } };

async function topologyOf(model: tf.LayersModel): Promise<{ topology: Json; artifacts: tf.io.ModelArtifacts }> {
  const artifacts = await serializeModel(model);
  return { topology: artifacts.modelTopology as unknown as Json, artifacts };
}

function sharedLayerModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const shared = tf.layers.dense({ units: 4, name: 'shared' });
  const once = shared.apply(input) as tf.SymbolicTensor;
  const twice = shared.apply(once) as tf.SymbolicTensor; // node 1 of "shared"
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, name: 'out' }).apply(twice) as tf.SymbolicTensor });
}

function nestedModel(): tf.LayersModel {
  const inner = tf.sequential({ name: 'inner', layers: [tf.layers.dense({ units: 3, inputShape: [4], name: 'inner_dense' })] });
  const input = tf.input({ shape: [4] });
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(inner.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function refused(topology: unknown, pattern: RegExp): void {
  assert.throws(
    () => assertGraphWellFormed(topology, 'model.json'),
    (error: unknown) => error instanceof EngineFailure && error.code === 'bad-model' && pattern.test(error.message),
  );
}

describe('Functional graph check', () => {
  for (const [name, make] of [
    ['a shared layer called twice', sharedLayerModel],
    ['a nested Sequential model', nestedModel],
  ] as const) {
    it(`accepts ${name} and the model loads`, async () => {
      const model = make();
      const { topology, artifacts } = await topologyOf(model);
      assertGraphWellFormed(topology, 'model.json');
      const tensors = tf.memory().numTensors;
      const rebuilt = await buildLayersModel(topology, artifacts.weightSpecs!, weightBytes(artifacts).slice().buffer, 'model.json');
      const x = tf.ones([1, 4]);
      const [a, b] = [model.predict(x) as tf.Tensor, rebuilt.predict(x) as tf.Tensor];
      assert.deepEqual(await b.data(), await a.data());
      tf.dispose([x, a, b]);
      rebuilt.dispose();
      assert.equal(tf.memory().numTensors, tensors, 'disposing the loaded model frees all its weights');
      model.dispose();
    });
  }

  it('refuses a node index past the nodes a shared layer gets', async () => {
    const model = sharedLayerModel();
    const { topology } = await topologyOf(model);
    model.dispose();
    const out = topology.config.layers.find((l) => l['name'] === 'out')!;
    out['inbound_nodes'] = [[['shared', 2, 0, {}]]];
    refused(topology, /"out" takes its input from node 2 of "shared", which has 2 nodes/);
  });

  it('refuses duplicate names, a config name that differs, and malformed references', async () => {
    const model = sharedLayerModel();
    const { topology } = await topologyOf(model);
    model.dispose();
    const variant = (edit: (layers: Record<string, unknown>[]) => void): Json => {
      const copy = structuredClone(topology);
      edit(copy.config.layers);
      return copy;
    };
    refused(
      variant((l) => {
        l[2]!['name'] = 'shared';
        (l[2]!['config'] as Record<string, unknown>)['name'] = 'shared';
      }),
      /two layers are named "shared"/,
    );
    refused(variant((l) => ((l[2]!['config'] as Record<string, unknown>)['name'] = 'other')), /named "out" but its config names it "other"/);
    refused(variant((l) => (l[2]!['inbound_nodes'] = [['shared']])), /inbound reference "shared" that is not \[layer, node index, tensor index\]/);
    refused(variant((l) => (l[2]!['inbound_nodes'] = [[['shared', 1e12, 0, {}]]])), /node 1000000000000 of "shared"/);
    refused(variant((l) => (l[2]!['inbound_nodes'] = {})), /inbound_nodes that are not a list/);
  });
});
