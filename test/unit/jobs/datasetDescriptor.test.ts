// The `datasetDescriptor` request: which *.dataset.json applies to a dataset, where a setting goes,
// and setting mean/std in it (merged, atomic, refused on a broken descriptor); then the built CLI's
// eval of a 3-channel ONNX model reads the data with what was set.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { quietContext } from '../../../src/engine/core/context';
import { openDataset } from '../../../src/engine/data';
import { runJob } from '../../../src/engine/jobs';
import type { EvalReport } from '../../../src/protocol/report';
import { cifarBytes, pngBytes } from '../data/writers';
import { repoRoot, tempFolder } from './helpers';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const cli = path.join(repoRoot, 'dist/cli.js');
const resnet = path.join(repoRoot, 'test/fixtures/onnx/resnet18-torchscript.onnx');

const request = (params: { data: string; set?: { mean: number[]; std: number[] } }) => runJob('datasetDescriptor', params, quietContext());

/** A CIFAR test batch of `count` 32x32 RGB images in a fresh folder; returns its path. */
async function cifarBatch(count = 6): Promise<string> {
  const dir = await tempFolder('descriptor');
  const file = path.join(dir, 'test_batch.bin');
  await fs.writeFile(file, cifarBytes(Array.from({ length: count }, (_, i) => i % 10), (i, c, p) => (i * 37 + c * 11 + p * 7) % 256));
  return file;
}

async function imageFolder(): Promise<string> {
  const root = path.join(await tempFolder('descriptor'), 'test');
  for (const cls of ['cat', 'dog']) {
    await fs.mkdir(path.join(root, cls), { recursive: true });
    await fs.writeFile(path.join(root, cls, 'a.png'), pngBytes(4, 4, (x, y) => [x * 40, y * 40, 90]));
  }
  return root;
}

describe('datasetDescriptor', () => {
  it('names no descriptor where none applies, and the folder dataset.json beside a file dataset as the target', async () => {
    const data = await cifarBatch();
    const result = await request({ data });
    assert.deepEqual(result, { target: path.join(path.dirname(data), 'dataset.json') });
    assert.deepEqual(await fs.readdir(path.dirname(data)), ['test_batch.bin'], 'nothing written without set');
  });

  it('targets dataset.json inside a folder dataset', async () => {
    const data = await imageFolder();
    assert.equal((await request({ data })).target, path.join(data, 'dataset.json'));
  });

  it('reads the descriptor in use, and its file is the target', async () => {
    const data = await cifarBatch();
    const descriptor = path.join(path.dirname(data), 'test_batch.dataset.json');
    await fs.writeFile(descriptor, JSON.stringify({ scale: '0..1', mean: [0.5, 0.5, 0.5], std: 0.25 }));
    assert.deepEqual(await request({ data }), { descriptor, scale: '0..1', mean: [0.5, 0.5, 0.5], std: [0.25], target: descriptor });
  });

  it('creates the folder dataset.json with mean/std and leaves no temporary file', async () => {
    const data = await cifarBatch();
    const target = path.join(path.dirname(data), 'dataset.json');
    const result = await request({ data, set: IMAGENET });
    assert.deepEqual(result, { descriptor: target, ...IMAGENET, target });
    assert.deepEqual(JSON.parse(await fs.readFile(target, 'utf8')), IMAGENET);
    assert.deepEqual((await fs.readdir(path.dirname(data))).sort(), ['dataset.json', 'test_batch.bin']);
    // Asked again, the same descriptor answers.
    assert.deepEqual(await request({ data }), result);
  });

  it('merges into an existing descriptor, keeping every other key and their order', async () => {
    const data = await imageFolder();
    const target = path.join(data, 'dataset.json');
    await fs.writeFile(target, JSON.stringify({ labels: ['cat', 'dog'], mean: [0.1, 0.1, 0.1], limit: 2, resize: 'nearest' }, null, 4));
    const result = await request({ data, set: { mean: [0, 0, 0], std: [1, 1, 1] } });
    assert.deepEqual(result, { descriptor: target, mean: [0, 0, 0], std: [1, 1, 1], target });
    const written = JSON.parse(await fs.readFile(target, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(written), ['labels', 'mean', 'limit', 'resize', 'std']);
    assert.deepEqual(written, { labels: ['cat', 'dog'], mean: [0, 0, 0], limit: 2, resize: 'nearest', std: [1, 1, 1] });
  });

  it('refuses a descriptor that is not valid JSON in one line naming it, and writes nothing', async () => {
    const data = await cifarBatch();
    const broken = path.join(path.dirname(data), 'dataset.json');
    await fs.writeFile(broken, '{"mean": [0.5,');
    await assert.rejects(request({ data, set: IMAGENET }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'bad-data');
      assert.ok(error.message.startsWith(`${broken}: `), error.message);
      assert.match(error.message, /not valid JSON/);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
    assert.equal(await fs.readFile(broken, 'utf8'), '{"mean": [0.5,');
    assert.deepEqual((await fs.readdir(path.dirname(data))).sort(), ['dataset.json', 'test_batch.bin']);
  });

  it('refuses a descriptor with an invalid key (a std of 0) before writing', async () => {
    const data = await cifarBatch();
    const existing = path.join(path.dirname(data), 'test_batch.dataset.json');
    const text = JSON.stringify({ std: [0, 1, 1] });
    await fs.writeFile(existing, text);
    await assert.rejects(request({ data, set: IMAGENET }), (error: Error) => {
      assert.equal(error.message, `${existing}: dataset descriptor: "std" must not contain 0`);
      return true;
    });
    assert.equal(await fs.readFile(existing, 'utf8'), text);
    assert.deepEqual((await fs.readdir(path.dirname(data))).sort(), ['test_batch.bin', 'test_batch.dataset.json']);
  });

  it('validates the values to set: finite numbers, std non-zero; nothing is written', async () => {
    const data = await cifarBatch();
    for (const set of [
      { mean: [0.5, Number.NaN, 0.5], std: [1, 1, 1] },
      { mean: [], std: [1] },
      { mean: [0.5], std: [0.2, 0, 0.2] },
      { mean: [0.5], std: [Number.POSITIVE_INFINITY] },
      { mean: ['0.5'] as unknown as number[], std: [1] },
    ]) {
      await assert.rejects(request({ data, set }), /cannot set "(mean|std)"/, JSON.stringify(set));
    }
    assert.deepEqual(await fs.readdir(path.dirname(data)), ['test_batch.bin']);
  });

  it('refuses a path that is not a dataset, creating nothing beside it', async () => {
    const dir = await tempFolder('descriptor');
    const notData = path.join(dir, 'notes.txt');
    await fs.writeFile(notData, 'hello');
    await assert.rejects(request({ data: notData, set: IMAGENET }), /unrecognised dataset/);
    await assert.rejects(request({ data: path.join(dir, 'missing') }), /no such file or folder/);
    assert.deepEqual(await fs.readdir(dir), ['notes.txt']);
  });
});

describe('the ImageNet note of a dataset read for a 3-channel channels-first model', () => {
  const open = (data: string, suggestImageNet: boolean) => openDataset(data, { inputShape: [32, 32, 3], classes: 10, suggestImageNet });

  it('appears where the data states no mean/std, naming where to set it; not for other models, nor once mean/std is set', async () => {
    const data = await cifarBatch();
    const target = path.join(path.dirname(data), 'dataset.json');
    const notes = async (suggest: boolean) => {
      const dataset = await open(data, suggest);
      dataset.close?.();
      return dataset.info.note ?? '';
    };
    assert.match(await notes(true), /^No mean\/std was applied to this 3-channel model's input \(pixels scaled to 0\.\.1 only\)/);
    assert.ok((await notes(true)).includes(`"mean" and "std" in ${target}`));
    assert.equal(await notes(false), '');
    // A descriptor that sets only the scale still states no mean/std: the note names that file.
    const own = path.join(path.dirname(data), 'test_batch.dataset.json');
    await fs.writeFile(own, JSON.stringify({ scale: '-1..1' }));
    assert.match(await notes(true), /pixels scaled to -1\.\.1 only/);
    assert.ok((await notes(true)).includes(`"mean" and "std" in ${own}`));
    await request({ data, set: IMAGENET });
    assert.equal(await notes(true), '');
  });
});

describe('quench eval of a 3-channel ONNX model reads the normalisation that was set', () => {
  before(() => {
    if (!existsSync(cli)) execFileSync(process.execPath, ['scripts/esbuild.mjs'], { cwd: repoRoot, stdio: 'ignore' });
  });

  const evalJson = (data: string): EvalReport => {
    const run = spawnSync(process.execPath, [cli, 'eval', resnet, '--data', data, '--json'], { encoding: 'utf8', env: { ...process.env, QUENCH_BACKEND: 'wasm' } });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as EvalReport;
  };

  it('before: pixels 0..1 inferred, with a note naming the file to set; after set: ImageNet mean/std from the descriptor, no note', async () => {
    const data = await cifarBatch(4);
    const target = path.join(path.dirname(data), 'dataset.json');
    const before = evalJson(data);
    assert.deepEqual(before.dataset.preprocessing, { scale: '0..1', source: 'inferred' });
    const note = before.notes.find((n) => n.startsWith('No mean/std was applied'));
    assert.ok(note?.includes(target), before.notes.join('\n'));
    assert.match(note!, /mean \[0\.485, 0\.456, 0\.406\], std \[0\.229, 0\.224, 0\.225\]/);

    await request({ data, set: IMAGENET });
    const after = evalJson(data);
    assert.deepEqual(after.dataset.preprocessing, { scale: '0..1', ...IMAGENET, source: 'descriptor' });
    assert.ok(!after.notes.some((n) => n.includes('No mean/std')), after.notes.join('\n'));
    assert.equal(after.accuracy.samples, 4);
  });
});
