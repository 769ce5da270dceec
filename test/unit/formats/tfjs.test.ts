import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defaultPrunedPath, detectFormat, modelFiles, openModel, saveModel } from '../../../src/engine/formats/index';
import { EngineFailure } from '../../../src/engine/core/errors';
import {
  assertWeightsBitExact,
  fixedInput,
  maxAbsDiff,
  predictValues,
  publicFixtures,
  publicSkip,
  tempDir,
  tinyModel,
} from './helpers';

async function copyTiny(dir: string): Promise<string> {
  for (const name of ['model.json', 'group1-shard1of1.bin']) {
    await fs.copyFile(path.join(path.dirname(tinyModel), name), path.join(dir, name));
  }
  return path.join(dir, 'model.json');
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp, file: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EngineFailure, `expected EngineFailure, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.equal(path.resolve(error.file ?? ''), path.resolve(file));
    assert.ok(error.message.includes(file) || error.message.includes(path.basename(file)), error.message);
    return true;
  });
}

test('the public TF.js models open with the parameter counts of their README', { skip: publicSkip }, async () => {
  for (const [folder, params] of [
    ['mnist-tfjs-small', 24155],
    ['mnist-tfjs-keras-example', 258826],
  ] as const) {
    const file = path.join(publicFixtures, folder, 'model.json');
    assert.equal((await detectFormat(file))?.id, 'tfjs-layers');
    const loaded = await openModel(file);
    assert.equal(loaded.format, 'tfjs-layers');
    assert.equal(loaded.model.countParams(), params);
    assert.deepEqual(loaded.files, [file, path.join(publicFixtures, folder, 'group1-shard1of1.bin')]);
    assert.deepEqual(await modelFiles(path.join(publicFixtures, folder)), loaded.files);
    assert.equal((await detectFormat(path.join(publicFixtures, folder)))?.id, 'tfjs-layers', 'a folder with model.json');
    const input = fixedInput(loaded.model, 2);
    const probabilities = predictValues(loaded.model, input);
    assert.ok(Math.abs(probabilities.slice(0, 10).reduce((a, b) => a + b, 0) - 1) < 1e-5, 'softmax rows sum to 1');
    input.dispose();
    loaded.model.dispose();
  }
});

test('tiny model: open -> predict -> save -> open gives equal predictions and bit-exact weights, no leaks', async (t) => {
  const dir = tempDir(t);
  const before = tf.memory().numTensors;
  const original = await openModel(tinyModel);
  const input = fixedInput(original.model);
  const expected = predictValues(original.model, input);
  const out = path.join(dir, 'copy', 'model.json');
  const written = await saveModel(original.model, out, 'tfjs-layers', { protectedFiles: original.files });
  assert.deepEqual(written, [path.join(dir, 'copy', 'group1-shard1of1.bin'), out]);
  assert.deepEqual(readdirSync(path.join(dir, 'copy')).sort(), ['group1-shard1of1.bin', 'model.json'], 'no temp files left');
  const reopened = await openModel(out);
  assert.equal(maxAbsDiff(predictValues(reopened.model, input), expected), 0);
  assertWeightsBitExact(original.model, reopened.model);
  input.dispose();
  original.model.dispose();
  reopened.model.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('a model over 4 MiB is written as several 4 MiB shards and reads back bit-exactly', async (t) => {
  const dir = tempDir(t);
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1100], units: 1000, name: 'wide' })] });
  const out = path.join(dir, 'wide.json');
  const written = await saveModel(model, out, 'tfjs-layers');
  const shards = written.filter((f) => f.endsWith('.bin')).map((f) => path.basename(f));
  assert.deepEqual(shards, ['wide.group1-shard1of2.bin', 'wide.group1-shard2of2.bin']);
  assert.equal(statSync(path.join(dir, shards[0]!)).size, 4 * 1024 * 1024);
  assert.equal(statSync(path.join(dir, shards[1]!)).size, (1100 * 1000 + 1000) * 4 - 4 * 1024 * 1024);
  const reopened = await openModel(out);
  assertWeightsBitExact(model, reopened.model);
  model.dispose();
  reopened.model.dispose();
});

test('several manifest groups with several shards each are read in order', async (t) => {
  const dir = tempDir(t);
  const json = JSON.parse(readFileSync(tinyModel, 'utf8'));
  const data = readFileSync(path.join(path.dirname(tinyModel), 'group1-shard1of1.bin'));
  const [first, ...rest] = json.weightsManifest[0].weights;
  const firstBytes = first.shape.reduce((a: number, b: number) => a * b, 1) * 4;
  // group 1: the first weight in two shards; group 2: the rest in one shard.
  await fs.writeFile(path.join(dir, 'a1.bin'), data.subarray(0, 10));
  await fs.writeFile(path.join(dir, 'a2.bin'), data.subarray(10, firstBytes));
  await fs.writeFile(path.join(dir, 'b1.bin'), data.subarray(firstBytes));
  json.weightsManifest = [
    { paths: ['a1.bin', 'a2.bin'], weights: [first] },
    { paths: ['b1.bin'], weights: rest },
  ];
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  const split = await openModel(path.join(dir, 'model.json'));
  const original = await openModel(tinyModel);
  assertWeightsBitExact(original.model, split.model);
  assert.equal(split.files.length, 4);
  split.model.dispose();
  original.model.dispose();
});

/** Rewrites the tiny model with every weight quantized as tfjs's converter does. */
async function quantizedTiny(dir: string, dtype: 'uint8' | 'uint16' | 'float16'): Promise<{ file: string; expected: Float32Array[] }> {
  const json = JSON.parse(readFileSync(tinyModel, 'utf8'));
  const data = readFileSync(path.join(path.dirname(tinyModel), 'group1-shard1of1.bin'));
  const floats = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const chunks: Buffer[] = [];
  const expected: Float32Array[] = [];
  let offset = 0;
  for (const entry of json.weightsManifest[0].weights) {
    const count = entry.shape.reduce((a: number, b: number) => a * b, 1);
    const values = floats.subarray(offset, offset + count);
    offset += count;
    if (dtype === 'float16') {
      const encoded = new Uint16Array(count);
      const decoded = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        encoded[i] = toHalf(values[i]!);
        decoded[i] = fromHalf(encoded[i]!);
      }
      chunks.push(Buffer.from(encoded.buffer));
      expected.push(decoded);
      entry.quantization = { dtype: 'float16' };
    } else {
      const levels = dtype === 'uint8' ? 255 : 65535;
      const min = Math.min(...values);
      const scale = (Math.max(...values) - min) / levels;
      const q = dtype === 'uint8' ? new Uint8Array(count) : new Uint16Array(count);
      const decoded = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        q[i] = Math.round((values[i]! - min) / scale);
        decoded[i] = q[i]! * scale + min;
      }
      chunks.push(Buffer.from(q.buffer));
      expected.push(decoded);
      entry.quantization = { dtype, scale, min };
    }
  }
  await fs.writeFile(path.join(dir, 'group1-shard1of1.bin'), Buffer.concat(chunks));
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  return { file: path.join(dir, 'model.json'), expected };
}

function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign; // tiny values flush to zero (none in this fixture matter)
  return sign | (exponent << 10) | Math.round(mantissa / 8192);
}

function fromHalf(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
  test(`${dtype}-quantized weights are dequantized as tfjs defines it`, async (t) => {
    const { file, expected } = await quantizedTiny(tempDir(t), dtype);
    const loaded = await openModel(file);
    assert.match(loaded.notes?.join(' ') ?? '', new RegExp(dtype));
    loaded.model.weights.forEach((w, i) => {
      assert.ok(maxAbsDiff(w.read().dataSync(), expected[i]!) < 1e-6, `weight ${w.originalName}`);
    });
    loaded.model.dispose();
  });
}

test('a missing shard, a truncated shard and a manifest that does not add up are named', async (t) => {
  const dir = tempDir(t);
  const file = await copyTiny(dir);
  const shard = path.join(dir, 'group1-shard1of1.bin');
  const bytes = readFileSync(shard);
  await fs.writeFile(shard, bytes.subarray(0, bytes.length - 12));
  await rejectsWith(openModel(file), 'bad-model', /truncated/, shard);
  await fs.writeFile(shard, Buffer.concat([bytes, Buffer.alloc(8)]));
  await rejectsWith(openModel(file), 'bad-model', /do not match/, shard);
  await fs.rm(shard);
  await rejectsWith(openModel(file), 'bad-model', /group1-shard1of1\.bin .*is missing/, shard);
});

test('JSON that is not a layers model gets a clear reason', async (t) => {
  const dir = tempDir(t);
  const broken = path.join(dir, 'model.json');
  await fs.writeFile(broken, '{"modelTopology": ');
  await rejectsWith(openModel(broken), 'bad-model', /not valid JSON/, broken);
  await fs.writeFile(broken, JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
  await rejectsWith(openModel(broken), 'unsupported', /graph model/, broken);
  await fs.writeFile(broken, JSON.stringify({ name: 'package', version: '1.0.0' }));
  assert.equal(await detectFormat(broken), null);
  await rejectsWith(openModel(broken), 'bad-model', /no modelTopology/, broken);
  await rejectsWith(openModel(path.join(dir, 'absent.json')), 'io', /does not exist/, path.join(dir, 'absent.json'));
});

test('an unknown layer class is reported by layer name and class, never evaluated', async (t) => {
  const dir = tempDir(t);
  const file = await copyTiny(dir);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  json.modelTopology.config.layers[2] = { class_name: 'Lambda', config: { name: 'scale_by_two', function: 'x * 2' } };
  await fs.writeFile(file, JSON.stringify(json));
  await rejectsWith(openModel(file), 'unsupported', /layer "scale_by_two" \(Lambda\) is not supported/, file);
});

test('saving never writes over the input model and leaves no temp files when refused', async (t) => {
  const dir = tempDir(t);
  const file = await copyTiny(dir);
  const loaded = await openModel(file);
  const before = readFileSync(file);
  await rejectsWith(saveModel(loaded.model, file, 'tfjs-layers', { protectedFiles: loaded.files }), 'io', /refusing/, file);
  // Another JSON name in the same folder gets prefixed shards, so it cannot clobber the input's.
  const sibling = path.join(dir, 'other.json');
  await saveModel(loaded.model, sibling, 'tfjs-layers', { protectedFiles: loaded.files });
  assert.ok(readFileSync(file).equals(before));
  assert.deepEqual(readdirSync(dir).sort(), ['group1-shard1of1.bin', 'model.json', 'other.group1-shard1of1.bin', 'other.json']);
  loaded.model.dispose();
});

test('the default pruned path sits beside the input and never equals it', () => {
  assert.equal(defaultPrunedPath('/m/web/model.json'), '/m/web/model.pruned/model.json');
  assert.equal(defaultPrunedPath('/m/net.h5'), '/m/net.pruned.h5');
  assert.equal(defaultPrunedPath('/m/net.keras'), '/m/net.pruned.keras');
  assert.equal(defaultPrunedPath('/m/net.h5', 'keras-v3'), '/m/net.pruned.keras');
  assert.ok(!existsSync(defaultPrunedPath(tinyModel)));
});
