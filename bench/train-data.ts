// A minimal in-memory Dataset over a gzipped IDX pair (Fashion-MNIST), for the training
// benchmarks and the example's training script. The engine's own readers live in src/engine/data.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../src/engine/data/types';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function readIdx(file: string): { dims: number[]; bytes: Uint8Array } {
  const raw = readFileSync(file);
  const data = file.endsWith('.gz') ? gunzipSync(raw) : raw;
  const rank = data[3];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, bytes: new Uint8Array(data.buffer, data.byteOffset + 4 + 4 * rank, dims.reduce((a, b) => a * b, 1)) };
}

/** Fashion-MNIST split ('train' | 't10k') from `dir`, pixels scaled to [0,1], first `limit` samples. */
export function fashionMnist(split: 'train' | 't10k', dir = FASHION_DIR, limit?: number): Dataset {
  const imagesFile = `${dir}/${split}-images-idx3-ubyte.gz`;
  const images = readIdx(imagesFile);
  const labels = readIdx(`${dir}/${split}-labels-idx1-ubyte.gz`);
  const size = Math.min(limit ?? images.dims[0], images.dims[0]);
  const [h, w] = [images.dims[1], images.dims[2]];
  const pixels = h * w;
  const y = Int32Array.from(labels.bytes.subarray(0, size));
  return {
    info: {
      path: imagesFile, kind: 'idx', samples: size, classes: 10, split: split === 'train' ? 'train' : 'test',
      sha256: createHash('sha256').update(images.bytes.subarray(0, size * pixels)).digest('hex'),
      preprocessing: { scale: '0..1', source: 'option' },
    },
    size,
    classes: 10,
    imageShape: [h, w, 1],
    labels: async () => y,
    batches(options) {
      const start = options.start ?? 0;
      const end = Math.min(options.end ?? size, size);
      const order = Array.from({ length: end - start }, (_, i) => start + i);
      if (options.shuffleSeed !== undefined) {
        let s = (options.shuffleSeed * 2654435761) >>> 0;
        for (let i = order.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      return {
        async *[Symbol.asyncIterator]() {
          for (let at = 0; at < order.length; at += options.batchSize) {
            const ids = order.slice(at, at + options.batchSize);
            const x = new Float32Array(ids.length * pixels);
            ids.forEach((id, i) => {
              const source = images.bytes.subarray(id * pixels, (id + 1) * pixels);
              for (let p = 0; p < pixels; p++) x[i * pixels + p] = source[p] / 255;
            });
            yield { x: tf.tensor4d(x, [ids.length, h, w, 1]), y: Int32Array.from(ids, (id) => y[id]) };
          }
        },
      };
    },
  };
}
