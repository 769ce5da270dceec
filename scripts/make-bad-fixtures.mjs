// Writes test/fixtures/bad/: small broken models and datasets derived from the tiny TF.js fixture
// (test/fixtures/tiny) and the Keras fixtures (test/fixtures/keras), plus cases.json saying which
// job each goes through and the error it must give. Rerunning rewrites the same bytes, except the
// object timestamps HDF5 stores in the three files h5wasm writes.
// Run: node scripts/make-bad-fixtures.mjs
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import * as h5wasm from 'h5wasm/node';
import { CASES } from './bad-fixture-cases.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'test/fixtures/bad');
const tinyDir = path.join(repo, 'test/fixtures/tiny');
const kerasDir = path.join(repo, 'test/fixtures/keras');

const tinyJson = JSON.parse(await fs.readFile(path.join(tinyDir, 'model.json'), 'utf8'));
const tinyShard = new Uint8Array(await fs.readFile(path.join(tinyDir, 'group1-shard1of1.bin')));
const clone = (v) => JSON.parse(JSON.stringify(v));

async function write(rel, data) {
  const file = path.join(out, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
}

/** A TF.js model folder: model.json (after `edit`) and its shard bytes (or none). */
async function tfjsCase(name, { edit = (j) => j, shard = tinyShard } = {}) {
  const json = edit(clone(tinyJson));
  await write(`${name}/model.json`, typeof json === 'string' ? json : JSON.stringify(json));
  if (shard) await write(`${name}/group1-shard1of1.bin`, shard);
}

const layers = (json) => json.modelTopology.config.layers;
const manifest = (json) => json.weightsManifest[0].weights;
function withFloat(bytes, index, value) {
  const copy = new Uint8Array(bytes);
  new DataView(copy.buffer).setFloat32(index * 4, value, true);
  return copy;
}

// ---- TF.js layers models ----
await tfjsCase('tfjs-truncated-shard', { shard: tinyShard.subarray(0, tinyShard.length - 100) });
{
  // Bit flips that turn the exponent of one kernel value to all ones: an infinite weight.
  const flipped = new Uint8Array(tinyShard);
  const view = new DataView(flipped.buffer);
  view.setUint32(12, (view.getUint32(12, true) | 0x7f800000) & 0xff800000, true);
  await tfjsCase('tfjs-bitflip-inf-weight', { shard: flipped });
}
await tfjsCase('tfjs-nan-weights', { shard: withFloat(withFloat(tinyShard, 0, NaN), 5, NaN) });
await tfjsCase('tfjs-wrong-shape', {
  edit: (j) => ((manifest(j)[0].shape = [3, 3, 4, 1]), j), // same byte count, wrong layout
});
await tfjsCase('tfjs-wrong-byte-count', { shard: new Uint8Array([...tinyShard, ...new Uint8Array(64)]) });
await tfjsCase('tfjs-missing-shard', { shard: null });
await tfjsCase('tfjs-unknown-dtype', { edit: (j) => ((manifest(j)[0].dtype = 'complex64'), j) });
await tfjsCase('tfjs-unknown-layer', { edit: (j) => ((layers(j)[2].class_name = 'FancyAttention'), j) });
await tfjsCase('tfjs-lambda-layer', {
  edit: (j) => {
    // The shape Keras gives a Lambda: Python bytecode (marshal, base64). Never decoded or run.
    layers(j)[2] = {
      class_name: 'Lambda',
      config: { name: 'evil', function: ['4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAdABkAYMBUwApAk4='], function_type: 'lambda', arguments: {} },
    };
    return j;
  },
});
await tfjsCase('tfjs-absurd-size', {
  // 100 GB of float32 promised by the manifest: refused from the manifest, never allocated.
  edit: (j) => ((manifest(j)[8].shape = [100_000, 250_000]), j),
});
await tfjsCase('tfjs-shard-traversal', {
  edit: (j) => ((j.weightsManifest[0].paths = ['../../../../etc/hostname']), j),
});
await tfjsCase('tfjs-graph-model', { edit: (j) => ({ ...j, format: 'graph-model' }) });
await tfjsCase('tfjs-not-json', { edit: () => '{"format": "layers-model", "modelTopology": {"class_name": ' });
await tfjsCase('tfjs-no-topology', { edit: (j) => ({ format: 'layers-model', weightsManifest: j.weightsManifest }) });

// Functional graphs: the tiny model as a Functional with named inbound nodes, then broken.
function functional(j) {
  const seq = layers(j);
  const input = { class_name: 'InputLayer', name: 'input', inbound_nodes: [], config: { name: 'input', batch_input_shape: [null, 8, 8, 1], dtype: 'float32', sparse: false } };
  const rest = seq.map((l, i) => {
    const config = { ...l.config };
    delete config.batch_input_shape;
    const prev = i === 0 ? 'input' : seq[i - 1].config.name;
    return { class_name: l.class_name, name: config.name, config, inbound_nodes: [[[prev, 0, 0, {}]]] };
  });
  j.modelTopology = {
    class_name: 'Model',
    keras_version: j.modelTopology.keras_version,
    backend: j.modelTopology.backend,
    config: { name: 'tiny_functional', layers: [input, ...rest], input_layers: [['input', 0, 0]], output_layers: [['logits', 0, 0]] },
  };
  return j;
}
// The intact Functional form: a valid control for the two broken graphs below, and a fuzz seed.
await tfjsCase('good-functional', { edit: functional });
await tfjsCase('tfjs-functional-cycle', {
  edit: (j) => {
    functional(j);
    // conv1 takes its input from relu2, which (through conv2) depends on conv1: a cycle.
    layers(j).find((l) => l.name === 'conv1').inbound_nodes = [[['relu2', 0, 0, {}]]];
    return j;
  },
});
await tfjsCase('tfjs-functional-dangling', {
  edit: (j) => {
    functional(j);
    layers(j).find((l) => l.name === 'conv2').inbound_nodes = [[['ghost_layer', 0, 0, {}]]];
    return j;
  },
});
// Shapes that made tfjs's node loop spin forever (fuzz inputs #151/#161 and #184, seed 20260101):
// a layer entry without its name, a layer whose inbound_nodes key is lost (it never gets a node),
// and a reference to a node index the layer never has.
await tfjsCase('tfjs-functional-unnamed-layer', {
  edit: (j) => {
    functional(j);
    delete layers(j).find((l) => l.name === 'conv2').name;
    return j;
  },
});
await tfjsCase('tfjs-functional-no-inbound', {
  edit: (j) => {
    functional(j);
    const conv2 = layers(j).find((l) => l.name === 'conv2');
    conv2.Inbound_nodes = conv2.inbound_nodes;
    delete conv2.inbound_nodes;
    return j;
  },
});
await tfjsCase('tfjs-functional-empty-call', {
  edit: (j) => {
    functional(j);
    // A call with no inputs: tfjs applies nothing, so bn1 never gets the node relu1 reads (the
    // shape a damaged Keras 3 "args" list translates to; fuzz seed 7 #655, #1605).
    layers(j).find((l) => l.name === 'bn1').inbound_nodes = [[]];
    return j;
  },
});
await tfjsCase('tfjs-functional-node-index', {
  edit: (j) => {
    functional(j);
    layers(j).find((l) => l.name === 'relu1').inbound_nodes = [[['bn1', 3, 0, {}]]];
    return j;
  },
});

// ---- Keras HDF5 ----
await h5wasm.ready;
const kerasH5 = new Uint8Array(await fs.readFile(path.join(kerasDir, 'sequential_cnn.h5')));
await write('keras-truncated.h5', kerasH5.subarray(0, kerasH5.length >> 1));
{
  const damaged = new Uint8Array(kerasH5);
  for (let i = 8; i < 48; i++) damaged[i] ^= 0xa5; // the superblock after the signature
  await write('keras-corrupt-superblock.h5', damaged);
}
await write('keras-not-hdf5.h5', new TextEncoder().encode('this is a text file with an .h5 name\n'));

async function h5File(rel, build) {
  const temp = path.join(out, `.${path.basename(rel)}.tmp`);
  const file = new h5wasm.File(temp, 'w');
  try {
    build(file);
  } finally {
    file.close();
  }
  await write(rel, await fs.readFile(temp));
  await fs.rm(temp);
}
await h5File('hdf5-not-keras.h5', (f) => {
  f.create_dataset({ name: 'measurements', data: new Float32Array([1, 2, 3, 4]), shape: [2, 2], dtype: '<f4' });
  f.create_attribute('instrument', 'spectrometer');
});
await h5File('keras-weights-only.h5', (f) => {
  f.create_attribute('layer_names', ['dense']);
  f.create_group('dense').create_attribute('weight_names', ['dense/kernel:0']);
});
{
  // The sequential fixture's config with a Lambda layer spliced in, as Keras 2 saves one.
  const source = new h5wasm.File(path.join(kerasDir, 'sequential_cnn.h5'), 'r');
  const config = JSON.parse(source.attrs['model_config'].value);
  source.close();
  config.config.layers.splice(2, 0, {
    class_name: 'Lambda',
    config: { name: 'lambda_exec', trainable: true, dtype: 'float32', function: ['4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAdABkAYMBUwApAk4=', null, null], function_type: 'lambda', module: '__main__', output_shape: null, arguments: {} },
  });
  await h5File('keras-lambda.h5', (f) => {
    f.create_attribute('keras_version', '2.15.0');
    f.create_attribute('backend', 'tensorflow');
    f.create_attribute('model_config', JSON.stringify(config));
    f.create_group('model_weights').create_attribute('layer_names', ['lambda_exec']);
  });
}

// ---- Keras 3 .keras zips ----
const kerasV3 = unzipSync(new Uint8Array(await fs.readFile(path.join(kerasDir, 'residual_v3.keras'))));
const stored = (entries) => zipSync(Object.fromEntries(Object.entries(entries).map(([n, b]) => [n, [b, { level: 0, mtime: new Date(Date.UTC(2025, 0, 1)) }]])));
const without = (name) => Object.fromEntries(Object.entries(kerasV3).filter(([n]) => n !== name));
await write('keras-missing-config.keras', stored(without('config.json')));
await write('keras-missing-weights.keras', stored(without('model.weights.h5')));
await write('keras-path-traversal.keras', stored({ ...kerasV3, '../../x': new TextEncoder().encode('escaped') }));
{
  // 80 MB of JSON whitespace deflates to ~80 KB: over the 64 MB cap on JSON entries.
  const bomb = zipSync({ 'metadata.json': [kerasV3['metadata.json'], { level: 0 }], 'config.json': [new Uint8Array(80 * 1024 * 1024).fill(0x20), { level: 9 }] });
  await write('keras-zip-bomb.keras', bomb);
}
{
  // A 100-byte-scale zip whose directory claims a 3.9 GB weights entry (fflate would allocate it).
  const tiny = stored({ 'config.json': kerasV3['config.json'], 'model.weights.h5': new Uint8Array(16) });
  setDeclaredSize(tiny, 'model.weights.h5', 0xf0000000);
  await write('keras-declared-huge.keras', tiny);
}
{
  const config = JSON.parse(new TextDecoder().decode(kerasV3['config.json']));
  const first = config.config.layers.find((l) => l.class_name !== 'InputLayer');
  first.class_name = 'MyCustomBlock';
  first.module = 'my_package.layers';
  first.registered_name = 'Custom>MyCustomBlock';
  await write('keras-custom-object.keras', stored({ ...kerasV3, 'config.json': new TextEncoder().encode(JSON.stringify(config)) }));
}

/** Rewrites the uncompressed size of `name` in both the local header and the central directory. */
function setDeclaredSize(zip, name, size) {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const nameBytes = new TextEncoder().encode(name);
  const matches = (at, nameAt) => nameBytes.every((b, i) => zip[nameAt + i] === b);
  for (let i = 0; i + 4 <= zip.length; i++) {
    const sig = view.getUint32(i, true);
    if (sig === 0x04034b50 && matches(i, i + 30)) view.setUint32(i + 22, size, true);
    if (sig === 0x02014b50 && matches(i, i + 46)) view.setUint32(i + 24, size, true);
  }
}

// ---- datasets for the tiny model (8x8x1 images, 10 classes) ----
function idx(dims, data) {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...header, ...data]);
}
const N = 20;
const pixels = Uint8Array.from({ length: N * 64 }, (_, i) => (i * 37) % 256);
const labels = Uint8Array.from({ length: N }, (_, i) => i % 10);
async function idxCase(name, { images = idx([N, 8, 8], pixels), labelFile = idx([N], labels) } = {}) {
  await write(`${name}/t10k-images-idx3-ubyte`, images);
  await write(`${name}/t10k-labels-idx1-ubyte`, labelFile);
}
await idxCase('good-idx');
{
  const wrong = idx([N, 8, 8], pixels);
  wrong[0] = 0x1f; // not 0x00 0x00
  await idxCase('idx-wrong-magic', { images: wrong });
}
await idxCase('idx-wrong-dimensions', { images: idx([N, 64], pixels) });
await idxCase('idx-count-mismatch', { labelFile: idx([N - 3], labels.subarray(0, N - 3)) });
await idxCase('idx-truncated', { images: idx([N, 8, 8], pixels).subarray(0, 16 + 64 * 5 + 10) });
await idxCase('labels-beyond-outputs', { labelFile: idx([N], Uint8Array.from(labels, (l, i) => (i === 7 ? 12 : l))) });

function npy(descr, shape, data) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(new TextEncoder().encode(header), 10);
  return new Uint8Array([...head, ...data]);
}
{
  // A pickle that would run a shell command if anything unpickled it; Quench only reads the header.
  const pickle = new TextEncoder().encode("cos\nsystem\n(S'touch /tmp/quench-unpickled'\ntR.");
  const objects = npy('|O', [N, 8, 8], pickle);
  await write('npz-object-array.npz', zipSync({ 'x_test.npy': objects, 'y_test.npy': npy('|u1', [N], labels) }));
}
{
  const zip = zipSync({ 'x_test.npy': new Uint8Array(16), 'y_test.npy': npy('|u1', [N], labels) });
  setDeclaredSize(zip, 'x_test.npy', 0xf0000000);
  await write('npz-declared-huge.npz', zip);
}
{
  const floats = Float32Array.from({ length: N * 64 }, (_, i) => (i % 64) / 64);
  floats[3 * 64 + 10] = NaN;
  floats[9 * 64 + 1] = Infinity;
  await write('nan-inputs/x_test.npy', npy('<f4', [N, 8, 8, 1], new Uint8Array(floats.buffer)));
  await write('nan-inputs/y_test.npy', npy('|u1', [N], labels));
}
{
  // Ten class folders of valid 8x8 PNGs, one of which is not an image at all.
  for (let c = 0; c < 10; c++) {
    const png = new PNG({ width: 8, height: 8 });
    png.data.fill(c * 20);
    await write(`undecodable-image/${c}/a.png`, PNG.sync.write(png));
  }
  const broken = PNG.sync.write(Object.assign(new PNG({ width: 8, height: 8 }), {}));
  await write('undecodable-image/3/b.png', broken.subarray(0, 40)); // PNG signature, then cut off
}

await fs.writeFile(path.join(out, 'cases.json'), JSON.stringify({ note: 'Generated by scripts/make-bad-fixtures.mjs; see docs/reliability.md.', cases: CASES }, null, 2) + '\n');
console.log(`wrote ${CASES.length} cases to ${path.relative(repo, out)}`);
