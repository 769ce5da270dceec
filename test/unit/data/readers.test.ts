// Every dataset reader on small generated files: values after preprocessing, labels, layouts.
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { findTrainingSplit, openDataset, type Dataset } from '../../../src/engine/data';
import { cifarBytes, float32Bytes, int64Bytes, jpegBytes, npyBytes, pngBytes, writeIdxPair, writeNpz } from './writers';

let dir: string;
before(async () => {
  await tf.setBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quench-data-'));
});
after(async () => fs.rm(dir, { recursive: true, force: true }));

/** Reads every batch; returns the flat float values and labels, checking no tensor leaks. */
async function readAll(dataset: Dataset, batchSize = 2): Promise<{ x: number[]; y: number[]; shapes: number[][] }> {
  const before = tf.memory().numTensors;
  const x: number[] = [];
  const y: number[] = [];
  const shapes: number[][] = [];
  for await (const batch of dataset.batches({ batchSize })) {
    shapes.push(batch.x.shape);
    x.push(...batch.x.dataSync());
    y.push(...batch.y);
    batch.x.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'batches leak no tensors');
  return { x, y, shapes };
}

const pixels3 = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20); // 3 images of 2x2

describe('IDX', () => {
  for (const gz of [false, true]) {
    it(`reads a ${gz ? 'gzipped' : 'raw'} pair from the images file, the labels file, the folder and the prefix`, async () => {
      const sub = path.join(dir, gz ? 'idx-gz' : 'idx-raw');
      await fs.mkdir(sub);
      const imagesFile = await writeIdxPair(sub, 't10k', pixels3, [3, 2, 2], [2, 0, 1], gz);
      const labelsFile = imagesFile.replace('images-idx3', 'labels-idx1');
      for (const given of [imagesFile, labelsFile, sub, path.join(sub, 't10k')]) {
        const ds = await openDataset(given, { inputShape: [2, 2, 1], classes: 3 });
        assert.equal(ds.info.kind, 'idx');
        assert.equal(ds.size, 3);
        assert.equal(ds.info.preprocessing.scale, '0..1');
        assert.equal(ds.info.preprocessing.source, 'inferred');
        const { x, y, shapes } = await readAll(ds);
        assert.deepEqual(y, [2, 0, 1]);
        assert.deepEqual(shapes, [[2, 2, 2, 1], [1, 2, 2, 1]]);
        x.forEach((v, i) => assert.ok(Math.abs(v - (i * 20) / 255) < 1e-6, `pixel ${i}`));
      }
    });
  }

  it('honours limit, shuffles with a seed reproducibly and reads a range', async () => {
    const ds = await openDataset(path.join(dir, 'idx-raw'), { inputShape: [2, 2, 1], classes: 3, limit: 2 });
    assert.equal(ds.size, 2);
    assert.deepEqual([...(await ds.labels())], [2, 0]);
    const all = await openDataset(path.join(dir, 'idx-raw'), { inputShape: [2, 2, 1], classes: 3 });
    const order = async (seed: number) => {
      const ys: number[] = [];
      for await (const b of all.batches({ batchSize: 3, shuffleSeed: seed })) {
        ys.push(...b.y);
        b.x.dispose();
      }
      return ys;
    };
    assert.deepEqual(await order(7), await order(7));
    assert.deepEqual([...(await order(7))].sort(), [0, 1, 2]);
    const ranged: number[] = [];
    for await (const b of all.batches({ batchSize: 5, start: 1, end: 3 })) {
      ranged.push(...b.y);
      b.x.dispose();
    }
    assert.deepEqual(ranged, [0, 1]);
  });

  it('applies a descriptor (scale -1..1, mean/std, label names) and says so', async () => {
    const sub = path.join(dir, 'idx-desc');
    await fs.mkdir(sub);
    const images = await writeIdxPair(sub, 'train', Uint8Array.from([0, 255, 51, 102]), [1, 2, 2], [1], false);
    await fs.writeFile(path.join(sub, 'train.dataset.json'), JSON.stringify({ scale: '-1..1', mean: [0.5], std: [2], labels: ['a', 'b'] }));
    const ds = await openDataset(images, { inputShape: [2, 2, 1], classes: 2 });
    assert.equal(ds.info.preprocessing.source, 'descriptor');
    assert.deepEqual(ds.info.labelNames, ['a', 'b']);
    assert.equal(ds.info.split, 'train');
    const { x } = await readAll(ds);
    const expected = [0, 255, 51, 102].map((v) => (v / 127.5 - 1 - 0.5) / 2);
    x.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6));
  });

  it('finds the training split beside t10k files', async () => {
    const sub = path.join(dir, 'idx-split');
    await fs.mkdir(sub);
    const test = await writeIdxPair(sub, 't10k', pixels3, [3, 2, 2], [0, 1, 2], true);
    await writeIdxPair(sub, 'train', pixels3, [3, 2, 2], [2, 1, 0], true);
    const train = await findTrainingSplit(test);
    assert.ok(train);
    assert.match(train.path, /train-images-idx3-ubyte\.gz$/);
    const ds = await openDataset(train.path, { inputShape: [2, 2, 1], classes: 3, split: train.split });
    assert.deepEqual([...(await ds.labels())], [2, 1, 0]);
    assert.equal(await findTrainingSplit(path.join(dir, 'idx-raw')), null);
  });

  it('resizes to a larger square input and converts gray to RGB', async () => {
    const ds = await openDataset(path.join(dir, 'idx-raw'), { inputShape: [4, 4, 3], classes: 3 });
    assert.deepEqual(ds.imageShape, [4, 4, 3]);
    assert.match(ds.info.note ?? '', /resized from 2x2 to 4x4/);
    const { x, shapes } = await readAll(ds, 3);
    assert.deepEqual(shapes, [[3, 4, 4, 3]]);
    // Corner pixel of image 0 keeps its value (half-pixel bilinear), replicated over 3 channels.
    assert.deepEqual(x.slice(0, 3), [0, 0, 0]);
    const last = 3 * 16 * 3 - 3;
    assert.ok(Math.abs(x[last]! - 220 / 255) < 1e-6);
  });
});

describe('NumPy', () => {
  it('reads a .npz with x_test/y_test (uint8 NHWC, int64 labels) and finds x_train in it', async () => {
    const file = await writeNpz(path.join(dir, 'data.npz'), {
      x_test: npyBytes('|u1', [3, 2, 2, 1], pixels3),
      y_test: npyBytes('<i8', [3], int64Bytes([1, 2, 0])),
      x_train: npyBytes('|u1', [1, 2, 2, 1], pixels3.subarray(0, 4)),
      y_train: npyBytes('<i8', [1], int64Bytes([2])),
    });
    const ds = await openDataset(file, { inputShape: [2, 2, 1], classes: 3 });
    assert.equal(ds.info.kind, 'npz');
    const { x, y } = await readAll(ds);
    assert.deepEqual(y, [1, 2, 0]);
    assert.ok(Math.abs(x[5]! - 100 / 255) < 1e-6);
    const train = await findTrainingSplit(file);
    assert.deepEqual(train, { path: file, split: 'train' });
    const trainDs = await openDataset(file, { inputShape: [2, 2, 1], classes: 3, split: 'train' });
    assert.deepEqual([...(await trainDs.labels())], [2]);
  });

  it('reads NCHW float32 arrays (x/y keys) and transposes them', async () => {
    // Two 3-channel 4x5 images stored (N, C, H, W); value = 100*n + 20*c + p.
    const values = new Float32Array(2 * 3 * 20);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let p = 0; p < 20; p++) values[n * 60 + c * 20 + p] = 100 * n + 20 * c + p;
    const file = await writeNpz(path.join(dir, 'nchw.npz'), { x: npyBytes('<f4', [2, 3, 4, 5], float32Bytes(values)), y: npyBytes('<i8', [2], int64Bytes([0, 1])) });
    const ds = await openDataset(file, { inputShape: [4, 5, 3], classes: 2 });
    assert.equal(ds.info.preprocessing.scale, 'none', 'float arrays are taken as preprocessed');
    const { x } = await readAll(ds);
    // NHWC: pixel p of image n, channel c at (n*20 + p)*3 + c.
    for (let n = 0; n < 2; n++) for (let p = 0; p < 20; p++) for (let c = 0; c < 3; c++) assert.equal(x[(n * 20 + p) * 3 + c], 100 * n + 20 * c + p);
  });

  it('reads an images .npy with its labels .npy beside it', async () => {
    const sub = path.join(dir, 'npy');
    await fs.mkdir(sub);
    await fs.writeFile(path.join(sub, 'x_test.npy'), npyBytes('|u1', [3, 2, 2], pixels3));
    await fs.writeFile(path.join(sub, 'y_test.npy'), npyBytes('|u1', [3], Uint8Array.from([2, 2, 1])));
    const ds = await openDataset(path.join(sub, 'x_test.npy'), { inputShape: [2, 2, 1], classes: 3 });
    assert.equal(ds.info.kind, 'npy');
    assert.deepEqual((await readAll(ds)).y, [2, 2, 1]);
  });
});

describe('CIFAR binary', () => {
  it('reads test_batch.bin (file or folder), undoing the colour planes', async () => {
    const sub = path.join(dir, 'cifar-10-batches-bin');
    await fs.mkdir(sub);
    const pixel = (i: number, c: number, p: number) => (i * 50 + c * 10 + (p % 7)) % 256;
    await fs.writeFile(path.join(sub, 'test_batch.bin'), cifarBytes([3, 9, 0], pixel));
    await fs.writeFile(path.join(sub, 'data_batch_1.bin'), cifarBytes([1], pixel));
    await fs.writeFile(path.join(sub, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    for (const given of [sub, path.join(sub, 'test_batch.bin')]) {
      const ds = await openDataset(given, { inputShape: [32, 32, 3], classes: 10 });
      assert.equal(ds.info.kind, 'cifar');
      assert.equal(ds.info.labelNames?.[3], 'cat');
      const { x, y } = await readAll(ds, 3);
      assert.deepEqual(y, [3, 9, 0]);
      for (const [i, p, c] of [[0, 0, 0], [1, 5, 2], [2, 1023, 1]] as const) {
        assert.ok(Math.abs(x[(i * 1024 + p) * 3 + c]! - pixel(i, c, p) / 255) < 1e-6);
      }
    }
    assert.deepEqual(await findTrainingSplit(path.join(sub, 'test_batch.bin')), { path: sub, split: 'train' });
  });
});

describe('image folders', () => {
  it('reads root/<class>/*.png|jpg with sorted class names, RGB to gray', async () => {
    const root = path.join(dir, 'images');
    await fs.mkdir(path.join(root, 'cat'), { recursive: true });
    await fs.mkdir(path.join(root, 'dog'), { recursive: true });
    await fs.writeFile(path.join(root, 'cat', 'a.png'), pngBytes(4, 4, (x) => [x * 60, x * 60, x * 60]));
    await fs.writeFile(path.join(root, 'dog', 'b.jpg'), jpegBytes(4, 4, 128));
    await fs.writeFile(path.join(root, 'dog', 'c.png'), pngBytes(8, 8, () => [255, 0, 0]));
    const ds = await openDataset(root, { inputShape: [4, 4, 1], classes: 2 });
    assert.equal(ds.info.kind, 'image-folder');
    assert.deepEqual(ds.info.labelNames, ['cat', 'dog']);
    const { x, y } = await readAll(ds, 3);
    assert.deepEqual(y, [0, 1, 1]);
    for (let p = 0; p < 16; p++) assert.ok(Math.abs(x[p]! - ((p % 4) * 60) / 255) < 1e-6, `png pixel ${p}`);
    for (let p = 16; p < 32; p++) assert.ok(Math.abs(x[p]! - 128 / 255) < 3 / 255, `jpeg pixel ${p}`);
    for (let p = 32; p < 48; p++) assert.ok(Math.abs(x[p]! - 0.299) < 1e-6, 'red -> luminance 0.299, resized 8x8 -> 4x4');
  });
});

describe('real data', () => {
  const fashion = '/usr/share/datasets/fashion-mnist';
  it('Fashion-MNIST test set: 10,000 images, 1,000 per class, training split beside it', { skip: !existsSync(fashion) && `${fashion} is absent (apt-get install dataset-fashion-mnist)` }, async () => {
    const ds = await openDataset(fashion, { inputShape: [28, 28, 1], classes: 10 });
    assert.equal(ds.size, 10_000);
    assert.equal(ds.info.split, 'test');
    const labels = await ds.labels();
    assert.equal(labels[0], 9, 'the first test image is an ankle boot');
    const counts = new Array<number>(10).fill(0);
    labels.forEach((l) => counts[l]!++);
    assert.deepEqual(counts, new Array<number>(10).fill(1000));
    const first = ds.batches({ batchSize: 1 })[Symbol.asyncIterator]();
    const batch = (await first.next()).value!;
    const x = batch.x.dataSync();
    batch.x.dispose();
    await first.return?.();
    assert.ok(Math.max(...x) <= 1 && Math.min(...x) >= 0 && Math.max(...x) > 0.9);
    const train = await findTrainingSplit(fashion);
    assert.ok(train && /train-images-idx3-ubyte\.gz$/.test(train.path));
  });
});
