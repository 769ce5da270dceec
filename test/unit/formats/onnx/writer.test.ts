// The ONNX writer: an unchanged model is written back byte for byte; a masked one changes only the
// initializers whose values changed, in the file's layout (NCHW kernels, (c, h, w) flatten rows);
// the prune job writes masked and --structured ONNX files that reload and keep names, opsets and
// metadata; --format converts ONNX ↔ Keras/TF.js, and a Keras model with a layer ONNX export does
// not cover is refused by name.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../../../../src/engine/core/errors';
import { quietContext } from '../../../../src/engine/core/context';
import { openModel, saveModel, type LoadedModel } from '../../../../src/engine/formats';
import { convFromTfjs, onnxRow } from '../../../../src/engine/formats/onnx/convert';
import { decodeModel, type OnnxModel } from '../../../../src/engine/formats/onnx/proto';
import { rawField } from '../../../../src/engine/formats/onnx/protobuf';
import { ExternalData, floatValues, intValues } from '../../../../src/engine/formats/onnx/tensor';
import { removeDeadFilters } from '../../../../src/engine/prune/structured';
import { pruneJob } from '../../../../src/engine/jobs/prune';
import type { PruneParams } from '../../../../src/protocol/engine';
import { repoRoot, tempDir } from '../helpers';
import { tempFolder, useWasm, writeIdxFamily } from '../../jobs/helpers';
import { expected, maxDiff, predictNchw, tinyDir } from './tiny';

// The job helpers register tfjs's wasm backend (the engine's); every test here runs on it.
before(() => useWasm());

const read = (file: string): OnnxModel => decodeModel(new Uint8Array(readFileSync(file)));

async function initializer(file: string, name: string): Promise<{ dims: number[]; values: Float32Array }> {
  const model = read(file);
  const tensor = model.graph.initializers.find((t) => t.name === name);
  assert.ok(tensor, `${file} has initializer ${name}`);
  return { dims: tensor.dims, values: await floatValues(tensor, await ExternalData.for(file), file) };
}

/** Reads a layer's weights, lets `edit` change the values in place, and sets them back. */
function editWeights(model: tf.LayersModel, layer: string, edit: (values: Float32Array[]) => void): void {
  const l = model.getLayer(layer);
  const weights = l.getWeights();
  const values = weights.map((w) => Float32Array.from(w.dataSync()));
  edit(values);
  const tensors = values.map((v, i) => tf.tensor(v, weights[i]!.shape));
  l.setWeights(tensors);
  tf.dispose(tensors);
}

async function withModel<T>(file: string, use: (loaded: LoadedModel) => Promise<T>): Promise<T> {
  const loaded = await openModel(file);
  try {
    return await use(loaded);
  } finally {
    loaded.model.dispose();
  }
}

describe('ONNX writer: the same ModelProto with only what changed', () => {
  for (const name of ['conv_chain', 'depthwise_se', 'silu_concat', 'normalise_squeeze', 'mlp', 'cnn8', 'opset10', 'opset21', 'shared_bias', 'pool_same', 'unused_input']) {
    it(`${name}: written unchanged, it is byte-identical to the input`, async (t) => {
      const dir = tempDir(t);
      const input = path.join(tinyDir, `${name}.onnx`);
      await withModel(input, async (loaded) => {
        const out = path.join(dir, `${name}.onnx`);
        await saveModel(loaded.model, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
        assert.ok(readFileSync(out).equals(readFileSync(input)), 'same bytes');
      });
    });
  }

  const exports = readdirSync(path.join(repoRoot, 'test/fixtures/onnx')).filter((f) => f.endsWith('.onnx'));
  it(`the PyTorch exports of test/fixtures/onnx (${exports.length}, TorchScript and dynamo) are written back byte for byte`, async (t) => {
    assert.ok(exports.length >= 9, exports.join(', '));
    const dir = tempDir(t);
    for (const name of exports) {
      const input = path.join(repoRoot, 'test/fixtures/onnx', name);
      await withModel(input, async (loaded) => {
        const out = path.join(dir, name);
        await saveModel(loaded.model, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
        assert.ok(readFileSync(out).equals(readFileSync(input)), `${name}: same bytes`);
      });
    }
  });

  it('never writes over the input model or its external data', async (t) => {
    const dir = tempDir(t);
    for (const name of ['external.onnx', 'external.onnx.data']) await fs.copyFile(path.join(tinyDir, name), path.join(dir, name));
    const input = path.join(dir, 'external.onnx');
    const before = [readFileSync(input), readFileSync(`${input}.data`)];
    await withModel(input, async (loaded) => {
      for (const target of [input, `${input}.data`]) {
        await assert.rejects(saveModel(loaded.model, target, 'onnx', { protectedFiles: loaded.files, source: loaded }), /refusing to write over a file of the input model/);
      }
    });
    assert.ok(readFileSync(input).equals(before[0]!) && readFileSync(`${input}.data`).equals(before[1]!));
  });

  it('external data is embedded: the written file stands alone and predicts the same', async (t) => {
    const dir = tempDir(t);
    await withModel(path.join(tinyDir, 'external.onnx'), async (loaded) => {
      const out = path.join(dir, 'standalone.onnx');
      await saveModel(loaded.model, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
      await withModel(out, async (again) => {
        assert.deepEqual(again.files, [out]);
        const { shape, x, y } = expected['mlp']!;
        assert.ok(maxDiff(predictNchw(again.model, x, shape), y) <= 1e-5);
      });
      const model = read(out);
      assert.deepEqual(model.graph.nodes.map((n) => n.name), read(path.join(tinyDir, 'mlp.onnx')).graph.nodes.map((n) => n.name));
    });
  });

  it('a masked conv and the Dense after a flatten: zeros land at the file\'s [O, I, kh, kw] and (c, h, w) positions; the rest keeps its bytes', async (t) => {
    const dir = tempDir(t);
    const input = path.join(tinyDir, 'conv_chain.onnx');
    await withModel(input, async (loaded) => {
      const conv = loaded.model.getLayer('conv2');
      const [kernel] = conv.getWeights();
      const k = Float32Array.from(kernel!.dataSync());
      // tfjs [kh, kw, in, out] = [3, 3, 4, 6]: zero in-channel 1 → out-channel 5 for every (y, x).
      for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) k[((y * 3 + x) * 4 + 1) * 6 + 5] = 0;
      conv.setWeights([tf.tensor(k, kernel!.shape)]);
      const fc = loaded.model.getLayer('fc');
      const [fk, fb] = fc.getWeights();
      const f = Float32Array.from(fk!.dataSync());
      // tfjs row r = (h·W + w)·C + c of the 2×2×6 map; zero row (h 1, w 0, c 4) for unit 2.
      const row = (1 * 2 + 0) * 6 + 4;
      f[row * 5 + 2] = 0;
      fc.setWeights([tf.tensor(f, fk!.shape), fb!]);

      const out = path.join(dir, 'masked.onnx');
      await saveModel(loaded.model, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
      const written = await initializer(out, 'conv2.weight');
      assert.deepEqual(written.dims, [6, 4, 3, 3]);
      assert.deepEqual(written.values, convFromTfjs(k, 6, 4, 3, 3));
      for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) assert.equal(written.values[((5 * 4 + 1) * 3 + y) * 3 + x], 0);
      const fcWritten = await initializer(out, 'fc.weight');
      assert.equal(fcWritten.values[2 * 24 + onnxRow(row, { c: 6, h: 2, w: 2 })], 0, 'ONNX column (c·H + h)·W + w = 4·4 + 2');
      assert.equal(onnxRow(row, { c: 6, h: 2, w: 2 }), 4 * 4 + 1 * 2 + 0);

      const [before, after] = [read(input), read(out)];
      const untouched = ['conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.running_var', 'fc.bias'];
      for (const name of untouched) {
        const a = before.graph.initializers.find((x) => x.name === name)!;
        const b = after.graph.initializers.find((x) => x.name === name)!;
        assert.ok(Buffer.from(a.msg.bytes).equals(Buffer.from(b.msg.bytes)), `${name} keeps its bytes`);
      }
      assert.deepEqual(after.opsets, before.opsets);
      assert.deepEqual(after.metadata, before.metadata);
      assert.deepEqual(after.graph.nodes.map((n) => [n.name, n.opType]), before.graph.nodes.map((n) => [n.name, n.opType]));
      assert.deepEqual(after.graph.valueInfo.map((v) => rawField(v.msg, v.msg.fields[0]!)), before.graph.valueInfo.map((v) => rawField(v.msg, v.msg.fields[0]!)));
      await withModel(out, async (again) => {
        const { shape, x } = expected['conv_chain']!;
        assert.ok(maxDiff(predictNchw(again.model, x, shape), predictNchw(loaded.model, x, shape)) <= 1e-6);
      });
    });
  });
});

describe('ONNX writer: structured removal', () => {
  it('a removed filter narrows its initializers, the explicit flatten size in a Reshape\'s shape constant and the readers\' rows', async (t) => {
    const dir = tempDir(t);
    await withModel(path.join(tinyDir, 'normalise_squeeze.onnx'), async (loaded) => {
      // Filter 2 of conv writes zeros: dead after the Relu, so structured removal takes it out.
      editWeights(loaded.model, 'conv', ([kernel, bias]) => {
        for (let i = 2; i < kernel!.length; i += 5) kernel![i] = 0;
        bias![2] = 0;
      });
      const { model: narrow } = await removeDeadFilters(loaded.model);
      try {
        assert.deepEqual(narrow.getLayer('conv').getWeights()[0]!.shape, [3, 3, 1, 4]);
        const out = path.join(dir, 'narrow.onnx');
        await saveModel(narrow, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
        const written = read(out);
        const shape = written.graph.initializers.find((i) => i.name === 'flat_shape')!;
        assert.deepEqual(await intValues(shape, await ExternalData.for(out), out), [-1, 4 * 3 * 3]);
        assert.deepEqual((await initializer(out, 'conv.weight')).dims, [4, 1, 3, 3]);
        assert.deepEqual((await initializer(out, 'side.weight')).dims, [36, 4]);
        assert.deepEqual((await initializer(out, 'fc1.weight')).dims, [4, 4]);
        await withModel(out, async (again) => {
          const { shape: inputShape, x } = expected['normalise_squeeze']!;
          assert.ok(maxDiff(predictNchw(again.model, x, inputShape), predictNchw(loaded.model, x, inputShape)) <= 1e-5);
        });
      } finally {
        narrow.dispose();
      }
    });
  });
});

describe('ONNX writer: structured removal through a depthwise convolution', () => {
  it('a removed channel lowers the depthwise Conv\'s group; the graph reloads with the same predictions', async (t) => {
    const dir = tempDir(t);
    await withModel(path.join(tinyDir, 'depthwise_se.onnx'), async (loaded) => {
      // stem channel 1 and the depthwise outputs 2 and 3 it feeds (multiplier 2) write zeros.
      const zero = (layer: string, channels: number[], every: number): void =>
        editWeights(loaded.model, layer, ([kernel, bias]) => {
          for (const c of channels) {
            for (let i = c; i < kernel!.length; i += every) kernel![i] = 0;
            bias![c] = 0;
          }
        });
      zero('stem', [1], 4);
      zero('dw', [2, 3], 8);
      // The squeeze-excite gate multiplies the same channels: se.fc2 writes zeros into them, and
      // se.fc1 and the head read nothing of them.
      zero('se.fc2', [2, 3], 8);
      const rows = (layer: string, channels: number[], units: number): void =>
        editWeights(loaded.model, layer, ([kernel]) => {
          for (const c of channels) kernel!.fill(0, c * units, (c + 1) * units);
        });
      rows('se.fc1', [2, 3], 3);
      rows('head', [2, 3], 3);
      const { model: narrow } = await removeDeadFilters(loaded.model);
      try {
        const out = path.join(dir, 'narrow.onnx');
        await saveModel(narrow, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
        const dw = read(out).graph.nodes.find((n) => n.name === '/dw/Conv')!;
        const channels = narrow.getLayer('dw').getWeights()[0]!.shape[2]!;
        assert.ok(channels < 4, `dw reads ${channels} channels`);
        assert.equal(dw.attributes.get('group')!.i, channels);
        assert.deepEqual((await initializer(out, 'dw.weight')).dims, [channels * 2, 1, 3, 3]);
        await withModel(out, async (again) => {
          const { shape, x, y } = expected['depthwise_se']!;
          assert.ok(maxDiff(predictNchw(again.model, x, shape), predictNchw(loaded.model, x, shape)) <= 1e-5);
          assert.ok(maxDiff(predictNchw(again.model, x, shape), y) > 0, 'the zeroed model differs from the original');
        });
      } finally {
        narrow.dispose();
      }
    });
  });
});

describe('ONNX writer: shared initializers', () => {
  it('stay shared while the layers agree; a layer that now differs gets its own (an Identity alias becomes the initializer)', async (t) => {
    const dir = tempDir(t);
    await withModel(path.join(tinyDir, 'shared_bias.onnx'), async (loaded) => {
      const setBias = (layer: string, values: number[]): void => editWeights(loaded.model, layer, ([, bias]) => bias!.set(values));
      const aBias = Array.from(loaded.model.getLayer('a').getWeights()[1]!.dataSync());
      assert.deepEqual(Array.from(loaded.model.getLayer('b').getWeights()[1]!.dataSync()), aBias, 'b reads a.bias through Identity_0');
      setBias('b', [1, 2, 3]);
      setBias('c', [4, 5, 6]);
      const out = path.join(dir, 'unshared.onnx');
      await saveModel(loaded.model, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
      const written = read(out);
      assert.deepEqual(written.graph.nodes.map((n) => n.name), ['/a/Conv', '/b/Conv', '/c/Conv', '/Add', '/Add_1', '/GlobalAveragePool', '/Flatten', '/fc/Gemm'], 'the alias node is gone');
      assert.deepEqual(Array.from((await initializer(out, 'b.bias')).values), [1, 2, 3]);
      assert.deepEqual(Array.from((await initializer(out, 'a.bias')).values), Array.from(Float32Array.from(aBias)));
      const c = written.graph.nodes.find((n) => n.name === '/c/Conv')!;
      assert.equal(c.inputs[2], 'a.bias_1');
      assert.deepEqual(Array.from((await initializer(out, 'a.bias_1')).values), [4, 5, 6]);
      await withModel(out, async (again) => {
        const { shape, x } = expected['shared_bias']!;
        assert.ok(maxDiff(predictNchw(again.model, x, shape), predictNchw(loaded.model, x, shape)) <= 1e-6);
      });
    });
  });
});

describe('ONNX through the prune job', () => {
  let dir: string;
  let model: string;
  let data: string;
  const job = (extra: Partial<PruneParams>): PruneParams => ({ model, data, method: 'magnitude', sparsity: 0.5, readoutEpochs: 2, seed: 3, ...extra });

  before(async () => {
    dir = await tempFolder('onnx');
    model = path.join(dir, 'cnn8.onnx');
    await fs.copyFile(path.join(tinyDir, 'cnn8.onnx'), model);
    data = await writeIdxFamily(dir);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('magnitude 50%: the report is in the file\'s layout and the written .onnx keeps the graph', async () => {
    const report = await pruneJob(job({}), quietContext());
    assert.equal(report.model.format, 'onnx');
    assert.deepEqual(report.model.inputShape, [1, 8, 8], 'input [C, H, W] as in the file');
    assert.equal(report.output!.path, path.join(dir, 'cnn8.pruned.onnx'));
    assert.equal(report.output!.format, 'onnx');
    assert.ok(report.output!.verified);
    assert.deepEqual(report.layers.map((l) => l.name).filter((n) => ['conv1', 'conv2', 'fc'].includes(n)), ['conv1', 'conv2', 'fc']);
    const [before, after] = [read(model), read(report.output!.path)];
    assert.deepEqual(after.graph.nodes.map((n) => n.name), before.graph.nodes.map((n) => n.name));
    const fc = await initializer(report.output!.path, 'fc.weight');
    const zeros = fc.values.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / fc.values.length - 0.5) < 0.02, `fc sparsity ${zeros / fc.values.length}`);
  });

  it('sfp-filters --structured: narrower initializers, value_info and a file that reloads with the masked predictions', async () => {
    const masked = await pruneJob(job({ method: 'sfp-filters', out: path.join(dir, 'sfp-masked.onnx') }), quietContext());
    const report = await pruneJob(job({ method: 'sfp-filters', structured: true, out: path.join(dir, 'sfp-slim.onnx') }), quietContext());
    assert.equal(report.output!.structured, true);
    const out = report.output!.path;
    const conv2 = await initializer(out, 'conv2.weight');
    const fc = await initializer(out, 'fc.weight');
    assert.ok(conv2.dims[0]! < 6, `conv2 [${conv2.dims.join(', ')}]`);
    assert.equal(fc.dims[1], conv2.dims[0]! * 4 * 4, 'fc reads the narrowed (c, h, w) map');
    const info = read(out).graph.valueInfo.find((v) => v.name === 'r2')!;
    assert.deepEqual(info.shape, ['N', conv2.dims[0], 8, 8]);
    const x = Array.from({ length: 4 * 64 }, (_, i) => ((i * 37) % 100) / 100);
    const [a, b] = await Promise.all([masked.output!.path, out].map((f) => withModel(f, async (m) => predictNchw(m.model, x, [4, 1, 8, 8]))));
    assert.ok(maxDiff(a!, b!) <= 1e-5, `structured vs masked ${maxDiff(a!, b!)}`);
  });

  it('--format converts ONNX → Keras .h5 and the tiny TF.js model → ONNX', async () => {
    const h5 = await pruneJob(job({ format: 'keras-h5', out: path.join(dir, 'cnn8.h5') }), quietContext());
    assert.equal(h5.output!.format, 'keras-h5');
    assert.ok(h5.output!.verified);
    const tiny = path.join(dir, 'tiny', 'model.json');
    await fs.mkdir(path.dirname(tiny));
    for (const f of ['model.json', 'group1-shard1of1.bin']) await fs.copyFile(path.join(repoRoot, 'test/fixtures/tiny', f), path.join(dir, 'tiny', f));
    const onnx = await pruneJob({ ...job({}), model: tiny, format: 'onnx' }, quietContext());
    assert.equal(onnx.output!.path, path.join(dir, 'tiny', 'model.pruned.onnx'));
    assert.equal(onnx.output!.format, 'onnx');
    const written = read(onnx.output!.path);
    assert.deepEqual(written.opsets, [{ domain: '', version: 17 }]);
    assert.deepEqual(written.graph.inputs[0]!.shape, ['N', 1, 8, 8], 'NCHW input');
  });
});

describe('ONNX → Keras / TF.js', () => {
  for (const [format, name] of [['keras-v3', 'm.keras'], ['keras-h5', 'm.h5'], ['tfjs-layers', 'm/model.json']] as const) {
    it(`depthwise_se (HardSwish, LeakyRelu 0.2, squeeze-excite) as ${format} predicts what onnxruntime did`, async (t) => {
      const dir = tempDir(t);
      await withModel(path.join(tinyDir, 'depthwise_se.onnx'), async (loaded) => {
        const out = path.join(dir, name);
        await saveModel(loaded.model, out, format, { protectedFiles: loaded.files, source: loaded });
        await withModel(out, async (again) => {
          const { shape, x, y } = expected['depthwise_se']!;
          assert.ok(maxDiff(predictNchw(again.model, x, shape), y) <= 1e-5, `max |Δ| ${maxDiff(predictNchw(again.model, x, shape), y)}`);
        });
      });
    });
  }
});

describe('Keras / TF.js → ONNX export', () => {
  for (const name of ['sequential_cnn', 'squeeze_excite', 'mobilenetv2', 'rescaling_padding', 'inception']) {
    it(`zoo ${name}: the ONNX file reads back with the same predictions and layer names`, async (t) => {
      const dir = tempDir(t);
      await withModel(path.join(repoRoot, 'test/fixtures/zoo', `${name}.h5`), async (loaded) => {
        const out = path.join(dir, `${name}.onnx`);
        await saveModel(loaded.model, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
        await withModel(out, async (again) => {
          const shape = [3, ...(loaded.model.inputs[0]!.shape.slice(1) as number[])];
          const x = tf.randomUniform(shape, 0, 1, 'float32', 5);
          const d = tf.tidy(() => tf.max(tf.abs(tf.sub(loaded.model.predict(x) as tf.Tensor, again.model.predict(x) as tf.Tensor))).dataSync()[0]!);
          x.dispose();
          assert.ok(d <= 1e-5, `max |Δ| ${d}`);
          const weighted = loaded.model.layers.filter((l) => ['Conv2D', 'Dense', 'BatchNormalization'].includes(l.getClassName())).map((l) => l.name);
          const names = new Set(again.model.layers.map((l) => l.name));
          for (const n of weighted) assert.ok(names.has(n), `layer ${n} keeps its name`);
        });
      });
    });
  }

  for (const file of ['zoo/nested.keras', 'zoo/tfjs/teachable/model.json']) {
    it(`nested models (${file}) are written flat, inner layers as <model>.<layer>`, async (t) => {
      const dir = tempDir(t);
      await withModel(path.join(repoRoot, 'test/fixtures', file), async (loaded) => {
        const out = path.join(dir, 'flat.onnx');
        await saveModel(loaded.model, out, 'onnx', { protectedFiles: loaded.files, source: loaded });
        await withModel(out, async (again) => {
          const x = tf.randomUniform([2, ...(loaded.model.inputs[0]!.shape.slice(1) as number[])], 0, 1, 'float32', 9);
          const d = tf.tidy(() => tf.max(tf.abs(tf.sub(loaded.model.predict(x) as tf.Tensor, again.model.predict(x) as tf.Tensor))).dataSync()[0]!);
          x.dispose();
          assert.ok(d <= 1e-5, `max |Δ| ${d}`);
          assert.ok(again.model.layers.every((l) => !(l instanceof tf.LayersModel)));
        });
        if (file === 'zoo/nested.keras') assert.ok(read(out).graph.initializers.some((i) => i.name === 'base.base_conv1.weight'));
      });
    });
  }

  it('a layer ONNX export does not cover is refused by name, and nothing is written', async (t) => {
    const dir = tempDir(t);
    const input = tf.input({ shape: [6, 6, 1], name: 'image' });
    const cropped = tf.layers.cropping2D({ cropping: [[1, 1], [1, 1]], name: 'crop' }).apply(input) as tf.SymbolicTensor;
    const flat = tf.layers.flatten({ name: 'flat' }).apply(cropped) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, name: 'fc' }).apply(flat) as tf.SymbolicTensor });
    const out = path.join(dir, 'crop.onnx');
    try {
      await assert.rejects(saveModel(model, out, 'onnx'), (error: unknown) => {
        assert.ok(error instanceof EngineFailure);
        assert.match(error.message, /crop\.onnx: cannot be written as ONNX: layer "crop" \(Cropping2D\) has no ONNX mapping/);
        return true;
      });
    } finally {
      model.dispose();
    }
    assert.equal(await fs.stat(out).then(() => true, () => false), false);
  });
});
