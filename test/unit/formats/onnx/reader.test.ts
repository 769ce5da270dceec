// The ONNX reader: each tiny hand-built graph (test/fixtures/onnx/tiny, made by make-tiny.py)
// predicts what onnxruntime computed for it; layer names are the PyTorch module paths; the
// protobuf layer re-emits every message byte for byte; bad inputs are refused in one line that
// names the file and the problem.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { EngineFailure } from '../../../../src/engine/core/errors';
import { detectFormat, modelFiles, openModel } from '../../../../src/engine/formats';
import { modelWeightSize } from '../../../../src/engine/formats/modelSize';
import { convFromTfjs, convToTfjs, denseFromTfjs, denseToTfjs, onnxRow } from '../../../../src/engine/formats/onnx/convert';
import { parseMessage, rawField, readVarint, encodeVarint, rewriteMessage, ProtobufError } from '../../../../src/engine/formats/onnx/protobuf';
import { tempDir } from '../helpers';
import { expected, maxDiff, predictNchw, tinyDir } from './tiny';

async function refusal(file: string, pattern: RegExp, code = 'unsupported'): Promise<void> {
  let message = '';
  await assert.rejects(openModel(file), (error: unknown) => {
    assert.ok(error instanceof EngineFailure, `expected an EngineFailure, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    message = error.message;
    return true;
  });
  assert.ok(message.includes(file), `names the file: ${message}`);
  assert.ok(!message.includes('\n'), `one line: ${message}`);
}

describe('ONNX reader: tiny graphs against onnxruntime', () => {
  for (const name of Object.keys(expected)) {
    it(`${name}: predictions equal onnxruntime's (max |Δ| ≤ 1e-5)`, async () => {
      const file = path.join(tinyDir, `${name}.onnx`);
      const loaded = await openModel(file);
      try {
        assert.equal(loaded.format, 'onnx');
        const { shape, x, y } = expected[name]!;
        assert.deepEqual(loaded.inputShape, shape.slice(1), 'the input shape is the file\'s (C, H, W)');
        const diff = maxDiff(predictNchw(loaded.model, x, shape), y);
        assert.ok(diff <= 1e-5, `max |Δ| ${diff}`);
      } finally {
        loaded.model.dispose();
      }
    });
  }

  it('external data beside the model is read (and listed among the model\'s files)', async () => {
    const file = path.join(tinyDir, 'external.onnx');
    const loaded = await openModel(file);
    try {
      const { shape, x, y } = expected['mlp']!;
      assert.ok(maxDiff(predictNchw(loaded.model, x, shape), y) <= 1e-5);
      assert.deepEqual(loaded.files, [file, path.join(tinyDir, 'external.onnx.data')]);
      assert.deepEqual(await modelFiles(file), loaded.files, 'modelFiles names the same files without loading');
    } finally {
      loaded.model.dispose();
    }
  });

  it('layers are named by their PyTorch module paths; the weight layouts are as in the file', async () => {
    const loaded = await openModel(path.join(tinyDir, 'conv_chain.onnx'));
    try {
      const names = loaded.model.layers.map((l) => l.name);
      for (const expectedName of ['conv1', 'bn1', 'conv2', 'fc', 'pool.MaxPool', 'act.Clip']) assert.ok(names.includes(expectedName), `${expectedName} in ${names.join(', ')}`);
      const classes = Object.fromEntries(loaded.model.layers.map((l) => [l.name, l.getClassName()]));
      assert.equal(classes['conv2.pad'], 'ZeroPadding2D', 'asymmetric pads become an explicit ZeroPadding2D');
      assert.equal(classes['act.Clip'], 'ReLU');
      assert.equal(loaded.model.getLayer('conv1').getWeights()[0]!.shape.join(','), '3,3,3,4', 'kernel [kh, kw, in, out]');
      // Said by the dataset reader, where the data's mean/std is known (test/unit/jobs/datasetDescriptor.test.ts).
      assert.ok(!loaded.notes?.some((n) => n.includes('ImageNet')), 'the ImageNet question is not the loader\'s');
    } finally {
      loaded.model.dispose();
    }
  });

  it('a graph input no node reads is left alone and named in a note', async () => {
    const loaded = await openModel(path.join(tinyDir, 'unused_input.onnx'));
    try {
      assert.deepEqual(loaded.inputShape, [5]);
      assert.ok(loaded.notes?.includes('Graph inputs no node reads were left as they are: mask.'), JSON.stringify(loaded.notes));
    } finally {
      loaded.model.dispose();
    }
  });

  it('detects .onnx by name and sizes its weights from the initializers (external data included)', async () => {
    assert.equal((await detectFormat(path.join(tinyDir, 'mlp.onnx')))?.id, 'onnx');
    assert.deepEqual(await modelWeightSize(path.join(tinyDir, 'external.onnx')), { values: 8 * 12 + 8 + 3 * 8 + 3, bytes: (8 * 12 + 8 + 3 * 8 + 3) * 4 });
  });
});

describe('ONNX layouts', () => {
  it('conv kernels [O, I, kh, kw] ↔ [kh, kw, I, O] and back, exactly', () => {
    const w = Float32Array.from({ length: 5 * 3 * 2 * 4 }, (_, i) => i);
    const t = convToTfjs(w, 5, 3, 2, 4);
    // tfjs index ((y·kw + x)·I + i)·O + o holds ONNX ((o·I + i)·kh + y)·kw + x.
    assert.equal(t[((1 * 4 + 2) * 3 + 1) * 5 + 4], ((4 * 3 + 1) * 2 + 1) * 4 + 2);
    assert.deepEqual(convFromTfjs(t, 5, 3, 2, 4), w);
  });

  it('a Dense after a (c, h, w) flatten reads row (h·W + w)·C + c from ONNX column (c·H + h)·W + w', () => {
    const order = { c: 3, h: 2, w: 2 };
    assert.equal(onnxRow(((1 * 2 + 0) * 3) + 2, order), (2 * 2 + 1) * 2 + 0);
    const k = 12;
    const units = 4;
    const w = Float32Array.from({ length: k * units }, (_, i) => i * 0.5);
    for (const transB of [true, false]) {
      const t = denseToTfjs(w, k, units, transB, order);
      assert.deepEqual(denseFromTfjs(t, k, units, transB, order), w);
    }
  });
});

describe('protobuf wire format', () => {
  it('varints: 64-bit values, negatives as two\'s complement', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40 + 5, -1, -(2 ** 40)]) {
      const bytes = encodeVarint(v);
      const [read, end] = readVarint(bytes, 0);
      assert.equal(end, bytes.length);
      assert.equal(Number(BigInt.asIntN(64, read)), v);
    }
    assert.equal(encodeVarint(-1).length, 10);
  });

  it('every tiny model re-emits byte for byte, down to its nodes and tensors', () => {
    const files = readdirSync(tinyDir).filter((f) => f.endsWith('.onnx'));
    assert.ok(files.length >= 6);
    for (const name of files) {
      const bytes = new Uint8Array(readFileSync(path.join(tinyDir, name)));
      const msg = parseMessage(bytes);
      assert.deepEqual(rewriteMessage(msg, () => undefined), bytes, name);
      // Nested: the graph, then each of its fields, re-assembled.
      const graph = msg.fields.find((f) => f.no === 7)!;
      const inner = parseMessage(bytes.subarray(graph.valueStart, graph.end));
      assert.deepEqual(Buffer.concat(inner.fields.map((f) => rawField(inner, f))), Buffer.from(inner.bytes), `${name} graph`);
    }
  });

  it('malformed bytes are a ProtobufError, not a crash', () => {
    assert.throws(() => parseMessage(Uint8Array.from([0x0a, 0x05, 0x01])), ProtobufError);
    assert.throws(() => parseMessage(Uint8Array.from([0x0b])), ProtobufError);
    assert.throws(() => parseMessage(Uint8Array.from([0x80, 0x80])), ProtobufError);
  });
});

describe('ONNX reader: refusals (one line naming the file and the problem)', () => {
  const bad = (name: string): string => path.join(tinyDir, 'bad', `${name}.onnx`);

  it('an unknown op, by op type and node name', () => refusal(bad('unknown_op'), /node "\/act\/Erf" \(Erf\) is not supported/));
  it('ConvTranspose, by name', () => refusal(bad('conv_transpose'), /node "\/up\/ConvTranspose" \(ConvTranspose\) is not supported: transposed convolutions/));
  it('a grouped convolution other than depthwise', () => refusal(bad('grouped_conv'), /node "\/g\/Conv" \(Conv\) is not supported: grouped convolution \(group 2 of 4 channels\)/));
  it('an unknown operator domain', () => refusal(bad('custom_domain'), /node "\/act\/Gelu" \(Gelu\) is in the operator domain "com\.microsoft"/));
  it('a cycle', () => refusal(bad('cycle'), /the graph has a cycle \(through node "\/first\/Add"/, 'bad-model'));
  it('a dangling input', () => refusal(bad('dangling'), /node "\/Add" \(Add\) reads "ghost", which no node, initializer or input provides/, 'bad-model'));
  it('an initializer whose size contradicts its shape', () => refusal(bad('size_mismatch'), /initializer "fc\.weight" holds 56 bytes but its shape \[4, 4\] of float needs 64/, 'bad-model'));
  it('external data outside the model\'s folder (..) is refused, not read', () => refusal(bad('escape_parent'), /initializer "fc\.weight" keeps its data in "\.\.\/outside\.bin", a path that leaves the model's folder; it was not read/, 'bad-model'));
  it('external data at an absolute path is refused, not read', () => refusal(bad('escape_absolute'), /"\/etc\/hostname", an absolute path outside the model's folder; it was not read/, 'bad-model'));

  it('external data through a symlink leading outside the folder is refused, not read', async (t) => {
    const dir = tempDir(t);
    const inner = path.join(dir, 'model');
    await fs.mkdir(inner);
    await fs.copyFile(path.join(tinyDir, 'external.onnx'), path.join(inner, 'external.onnx'));
    await fs.copyFile(path.join(tinyDir, 'external.onnx.data'), path.join(dir, 'secret.data'));
    await fs.symlink(path.join(dir, 'secret.data'), path.join(inner, 'external.onnx.data'));
    await refusal(path.join(inner, 'external.onnx'), /keeps its data in "external\.onnx\.data", a link to a file outside the model's folder; it was not read/, 'bad-model');
  });

  it('a node name with a line break is written escaped, so the message stays one line', async (t) => {
    const dir = tempDir(t);
    const bytes = Buffer.from(readFileSync(bad('unknown_op')));
    const at = bytes.indexOf('/act/Erf');
    bytes[at + 4] = 0x0a;
    const file = path.join(dir, 'newline.onnx');
    await fs.writeFile(file, bytes);
    await refusal(file, /node "\/act\\nErf" \(Erf\) is not supported/);
  });

  it('truncated and garbage files', async (t) => {
    const dir = tempDir(t);
    const bytes = readFileSync(path.join(tinyDir, 'conv_chain.onnx'));
    const truncated = path.join(dir, 'truncated.onnx');
    await fs.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await refusal(truncated, /is not a valid ONNX file \(damaged or truncated protobuf/, 'bad-model');
    const garbage = path.join(dir, 'garbage.onnx');
    await fs.writeFile(garbage, Buffer.from('this is not a protobuf at all, just some text\n'));
    await refusal(garbage, /is not a valid ONNX file|has no graph/, 'bad-model');
    const empty = path.join(dir, 'empty.onnx');
    await fs.writeFile(empty, '');
    await refusal(empty, /is empty/, 'bad-model');
  });
});
