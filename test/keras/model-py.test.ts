// examples/fashion-vgg/model.py is the example model's source: built by real Keras it has the
// example's 299,744 parameters and layer names, takes the weights of fashion-vgg.keras and .h5
// (model.load_weights), and then predicts what Keras predicts from those files within 1e-4 on the
// tier's 256 test images. And the layer names Quench reads from a source (tree-sitter, Keras's
// auto-naming rule) are the names Keras gives when it runs that source: model.py and the
// extension-host fixtures with auto-named layers.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSourceLayers } from '../../src/extension/source/index';
import { parser } from '../unit/extension/installedGrammars';
import { KerasJudge, maxAbsDiff, repoRoot, type Batch } from './judge';
import { exampleDir, exampleFile, fashionImages, TOLERANCE, useWasm } from './zoo';

const modelPy = path.join(exampleDir, 'model.py');
const fixtures = path.join(repoRoot, 'test/integration/suite/fixtures/source');
const dir = mkdtempSync(path.join(os.tmpdir(), 'quench-model-py-'));

interface Built {
  params: number;
  name: string;
  className: string;
  layers: { name: string; class: string }[];
  outputShape?: number[];
  outputs?: Float32Array;
}

let judge: KerasJudge;
before(async () => {
  await useWasm();
  judge = new KerasJudge();
});
after(() => {
  judge?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The judge's build_predict: `build_model()` of a source file, with weights loaded and predictions when asked. */
async function build(source: string, weights?: string, batch?: Batch): Promise<Built> {
  const args: Record<string, unknown> = { source, weights };
  if (batch) {
    const input = path.join(dir, 'input.f32');
    await fs.writeFile(input, Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
    Object.assign(args, { input: { path: input, shape: batch.shape }, output: path.join(dir, 'output.f32') });
  }
  const what = `build_model() of ${path.relative(repoRoot, source)}${weights ? ` with the weights of ${path.basename(weights)}` : ''}`;
  const built = await judge.request<Built>('build_predict', args, what);
  if (!batch) return built;
  const bytes = await fs.readFile(path.join(dir, 'output.f32'));
  return { ...built, outputs: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

test('model.py builds the example architecture in Keras: 299,744 parameters, the Sequential "fashion_vgg", its 23 layers', async () => {
  const built = await build(modelPy);
  assert.equal(built.params, 299_744);
  assert.equal(built.name, 'fashion_vgg');
  assert.equal(built.className, 'Sequential');
  const blocks = [1, 2, 3, 4, 5, 6].flatMap((i) => [`conv${i}:Conv2D`, `bn${i}:BatchNormalization`, `relu${i}:ReLU`, ...(i % 2 === 0 ? [`pool${i}:MaxPooling2D`] : [])]);
  assert.deepEqual(built.layers.map((l) => `${l.name}:${l.class}`), [...blocks, 'flatten:Flatten', 'output:Dense']);
});

for (const kind of ['keras', 'h5'] as const) {
  test(`model.py with the weights of fashion-vgg.${kind} predicts what Keras loading that file predicts (max |Δ| ≤ ${TOLERANCE})`, async () => {
    const batch = await fashionImages();
    const file = exampleFile(kind);
    const reference = await judge.loadPredict(file, batch);
    const built = await build(modelPy, file, batch);
    assert.deepEqual(built.outputShape, reference.outputShape);
    assert.equal(built.params, reference.params);
    const { max, at } = maxAbsDiff(built.outputs!, reference.outputs);
    assert.ok(max <= TOLERANCE, `max |Δ| ${max} at output ${at}`);
  });
}

for (const source of [modelPy, path.join(fixtures, 'cnn_seq.py'), path.join(fixtures, 'cnn_func.py')]) {
  test(`the layer names Quench reads from ${path.relative(repoRoot, source)} are the names Keras gives`, async () => {
    const read = await readSourceLayers(parser, await fs.readFile(source, 'utf8'), 'python');
    const built = await build(source);
    // A Sequential does not list its InputLayer; Quench names it too (it takes a counter).
    const keras = built.layers.filter((l) => built.className !== 'Sequential' || l.class !== 'InputLayer');
    const quench = read.layers.filter((l) => built.className !== 'Sequential' || l.className !== 'InputLayer');
    assert.deepEqual(
      quench.map((l) => `${l.layerName}:${l.className}`),
      keras.map((l) => `${l.name}:${l.class}`),
    );
  });
}
