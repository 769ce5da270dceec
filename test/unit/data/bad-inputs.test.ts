// Corrupt, truncated and mismatched datasets fail with an EngineFailure naming the file.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { openDataset } from '../../../src/engine/data';
import { EngineFailure } from '../../../src/engine/core/errors';
import { idxBytes, npyBytes, pngBytes, writeIdxPair, writeNpz } from './writers';

let dir: string;
before(async () => {
  await tf.setBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quench-bad-'));
});
after(async () => fs.rm(dir, { recursive: true, force: true }));

async function folder(name: string): Promise<string> {
  const sub = path.join(dir, name);
  await fs.mkdir(sub, { recursive: true });
  return sub;
}

async function rejectsWith(promise: Promise<unknown>, code: string, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EngineFailure, `an EngineFailure, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(path.resolve(error.file ?? ''), path.resolve(file), `names ${file}: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const image = Uint8Array.from({ length: 8 }, (_, i) => i);
const model = { inputShape: [2, 2, 1], classes: 3 };

describe('bad IDX files', () => {
  it('wrong magic number', async () => {
    const sub = await folder('magic');
    const images = await writeIdxPair(sub, 't10k', image, [2, 2, 2], [0, 1], false);
    const bytes = await fs.readFile(images);
    bytes[0] = 0x1a;
    await fs.writeFile(images, bytes);
    await rejectsWith(openDataset(images, model), 'bad-data', images, /wrong magic/);
  });

  it('truncated images (raw and gzipped)', async () => {
    for (const gz of [false, true]) {
      const sub = await folder(`truncated-${gz}`);
      const images = await writeIdxPair(sub, 't10k', image, [2, 2, 2], [0, 1], false);
      const full = idxBytes([2, 2, 2], image);
      const cut = full.subarray(0, full.length - 3);
      const target = gz ? `${images}.gz` : images;
      if (gz) {
        await fs.rm(images);
        await fs.writeFile(target, gzipSync(cut));
      } else {
        await fs.writeFile(target, cut);
      }
      await rejectsWith(openDataset(target, model), 'bad-data', target, /truncated/);
    }
  });

  it('a gzip stream cut short', async () => {
    const sub = await folder('gzcut');
    const images = await writeIdxPair(sub, 't10k', image, [2, 2, 2], [0, 1], true);
    const bytes = await fs.readFile(images);
    await fs.writeFile(images, bytes.subarray(0, bytes.length - 10));
    await rejectsWith(openDataset(images, model), 'bad-data', images, /gzip stream is corrupt or truncated/);
  });

  it('image and label counts that differ', async () => {
    const sub = await folder('counts');
    const images = await writeIdxPair(sub, 't10k', image, [2, 2, 2], [0, 1, 2], false);
    await rejectsWith(openDataset(images, model), 'bad-data', images, /2 images but 3 labels/);
  });

  it('a missing labels file', async () => {
    const sub = await folder('nolabels');
    const images = await writeIdxPair(sub, 't10k', image, [2, 2, 2], [0, 1], false);
    await fs.rm(images.replace('images-idx3', 'labels-idx1'));
    await rejectsWith(openDataset(images, model), 'bad-data', images, /no matching labels file/);
  });
});

describe('data that does not fit the model', () => {
  it('labels outside the model outputs', async () => {
    const sub = await folder('range');
    const images = await writeIdxPair(sub, 't10k', image, [2, 2, 2], [0, 7], false);
    await rejectsWith(openDataset(images, model), 'mismatch', images, /label 7 of sample 1 is outside the model's 3 outputs/);
  });

  it('an image shape the model cannot take', async () => {
    const images = path.join(dir, 'range', 't10k-images-idx3-ubyte');
    await rejectsWith(openDataset(images, { inputShape: [2, 6, 1], classes: 10 }), 'mismatch', images, /images are \[2, 2, 1\], the model wants \[2, 6, 1\]/);
    await rejectsWith(openDataset(images, { inputShape: [5], classes: 10 }), 'mismatch', images, /flat model input of 5 values/);
    await rejectsWith(openDataset(images, { inputShape: [2, 2, 2], classes: 10 }), 'mismatch', images, /1 channels, the model wants 2/);
  });
});

describe('bad NumPy and image files', () => {
  it('an object array (pickle) in a .npz is refused, never unpickled', async () => {
    const file = await writeNpz(path.join(dir, 'objects.npz'), {
      x: npyBytes('|O', [2], new Uint8Array([0x80, 0x04, 0x95, 0, 0, 0, 0, 0])),
      y: npyBytes('|u1', [2], Uint8Array.from([0, 1])),
    });
    await rejectsWith(openDataset(file, model), 'unsupported', `${file}:x`, /Python objects \(a pickle\); Quench never unpickles/);
  });

  it('a truncated .npy array', async () => {
    const file = await writeNpz(path.join(dir, 'short.npz'), {
      x: npyBytes('|u1', [2, 2, 2], image.subarray(0, 5)),
      y: npyBytes('|u1', [2], Uint8Array.from([0, 1])),
    });
    await rejectsWith(openDataset(file, model), 'bad-data', `${file}:x`, /truncated/);
  });

  it('an undecodable image in a folder names that image', async () => {
    const root = await folder('images');
    await fs.mkdir(path.join(root, 'a'));
    await fs.writeFile(path.join(root, 'a', 'good.png'), pngBytes(2, 2, () => [1, 2, 3]));
    const bad = path.join(root, 'a', 'broken.png');
    await fs.writeFile(bad, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    const ds = await openDataset(root, model);
    const reading = (async () => {
      for await (const batch of ds.batches({ batchSize: 4 })) batch.x.dispose();
    })();
    await rejectsWith(reading, 'bad-data', bad, /cannot decode the image/);
  });

  it('a descriptor with an unknown scale', async () => {
    const sub = await folder('descriptor');
    const images = await writeIdxPair(sub, 't10k', image, [2, 2, 2], [0, 1], false);
    const descriptor = path.join(sub, 't10k.dataset.json');
    await fs.writeFile(descriptor, JSON.stringify({ scale: '0..255' }));
    await rejectsWith(openDataset(images, model), 'bad-data', descriptor, /"scale" must be one of/);
  });
});
