// Image folders as Keras' image_dataset_from_directory reads them: root/<class>/**/*.png|jpg, one
// sub-folder per class in sorted order. Images are decoded per batch (pure-JS pngjs / jpeg-js).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { EngineFailure } from '../core/errors';
import { combineHashes, readFileOrFail, sha256Bytes } from './files';
import type { ImageSource, RawImage, SourceOptions } from './source';

const IMAGE = /\.(png|jpe?g)$/i;

async function listImages(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await listImages(full)));
    else if (entry.isFile() && IMAGE.test(entry.name)) out.push(full);
  }
  return out.sort();
}

export async function looksLikeImageFolder(folder: string): Promise<boolean> {
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries.some((e) => e.isDirectory() && !e.name.startsWith('.'));
}

export async function openImageFolder(root: string, options: SourceOptions = {}): Promise<ImageSource> {
  const classDirs = (await fs.readdir(root, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (classDirs.length === 0) throw new EngineFailure('bad-data', 'an image folder needs one sub-folder per class (root/<class>/*.png|jpg)', root);
  const files: string[] = [];
  const labelList: number[] = [];
  for (const [label, name] of classDirs.entries()) {
    for (const file of await listImages(path.join(root, name))) {
      files.push(file);
      labelList.push(label);
    }
  }
  if (files.length === 0) throw new EngineFailure('bad-data', 'the class folders hold no .png or .jpg images', root);
  const hashes: { file: string; sha256: string }[] = [];
  for (const file of files) hashes.push({ file, sha256: sha256Bytes(await readFileOrFail(file)) });
  return {
    kind: 'image-folder',
    path: root,
    files,
    sha256: combineHashes(hashes),
    size: files.length,
    shape: null,
    dtype: 'uint8',
    labels: Int32Array.from(labelList),
    labelNames: classDirs,
    split: options.split ?? (/train/i.test(path.basename(root)) ? 'train' : 'test'),
    fileOf: (i) => files[i] ?? root,
    readImages: async (indices) => Promise.all(Array.from(indices, async (i) => decodeImage(files[i]!, await readFileOrFail(files[i]!)))),
    close: () => undefined,
  };
}

/** Decodes a PNG or JPEG (by content, not by name) to interleaved RGB bytes. */
export function decodeImage(file: string, bytes: Uint8Array): RawImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(buffer);
      ({ width, height } = png);
      rgba = png.data;
    } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const image = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      ({ width, height } = image);
      rgba = image.data;
    } else {
      throw new Error('neither PNG nor JPEG data');
    }
  } catch (error) {
    throw new EngineFailure('bad-data', `cannot decode the image: ${(error as Error).message}`, file);
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    rgb[p * 3] = rgba[p * 4]!;
    rgb[p * 3 + 1] = rgba[p * 4 + 1]!;
    rgb[p * 3 + 2] = rgba[p * 4 + 2]!;
  }
  return { data: rgb, height, width, channels: 3 };
}
