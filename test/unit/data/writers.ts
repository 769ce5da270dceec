// Writes small dataset files of every kind for the reader tests (in a temporary folder).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return Buffer.concat([header, data]);
}

/** Writes `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]`. */
export async function writeIdxPair(dir: string, prefix: string, images: Uint8Array, shape: [number, number, number], labels: number[], gz: boolean): Promise<string> {
  const ext = gz ? '.gz' : '';
  const imagesFile = path.join(dir, `${prefix}-images-idx3-ubyte${ext}`);
  const img = idxBytes(shape, images);
  const lab = idxBytes([labels.length], Uint8Array.from(labels));
  await fs.writeFile(imagesFile, gz ? gzipSync(img) : img);
  await fs.writeFile(path.join(dir, `${prefix}-labels-idx1-ubyte${ext}`), gz ? gzipSync(lab) : lab);
  return imagesFile;
}

/** A .npy file: descr like '|u1', '<f4', '<i8', '|O'. */
export function npyBytes(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new Uint8Array(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

export function int64Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

export async function writeNpz(file: string, arrays: Record<string, Uint8Array>): Promise<string> {
  const members = Object.fromEntries(Object.entries(arrays).map(([k, v]) => [`${k}.npy`, v]));
  await fs.writeFile(file, zipSync(members));
  return file;
}

/** CIFAR-10 records: label byte + R plane + G plane + B plane (32x32). */
export function cifarBytes(labels: number[], pixel: (i: number, channel: number, p: number) => number): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((label, i) => {
    out[i * 3073] = label;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[i * 3073 + 1 + c * 1024 + p] = pixel(i, c, p);
  });
  return out;
}

export function pngBytes(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): Uint8Array {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y);
      png.data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

export function jpegBytes(width: number, height: number, value: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4, value);
  return jpeg.encode({ data, width, height }, 100).data;
}
