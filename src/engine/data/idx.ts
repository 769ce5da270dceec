// IDX files (LeCun's MNIST format, also Fashion-MNIST / EMNIST / KMNIST): an images file and a
// labels file, gzipped or not. Gzipped files are inflated into memory as bytes; raw files are read
// per sample from disk.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EngineFailure } from '../core/errors';
import { combineHashes, gunzipOrFail, isGzip, readFileOrFail, readHead, recordsInMemory, recordsOnDisk, sha256Bytes, sha256File, type RecordReader } from './files';
import type { ImageSource, SourceOptions } from './source';

const IMAGES = /[-_.]images[-_.]idx[34][-_.]ubyte(\.gz)?$/i;
const LABELS = /[-_.]labels[-_.]idx1[-_.]ubyte(\.gz)?$/i;

export function looksLikeIdx(file: string): boolean {
  return IMAGES.test(file) || LABELS.test(file);
}

interface IdxHeader {
  dims: number[];
  headerBytes: number;
}

export function parseIdxHeader(bytes: Uint8Array, file: string): IdxHeader {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new EngineFailure('bad-data', 'not an IDX file (wrong magic number)', file);
  }
  if (bytes[2] !== 0x08) {
    throw new EngineFailure('unsupported', `IDX element type 0x${bytes[2]!.toString(16)} is not supported (only unsigned bytes, 0x08)`, file);
  }
  const rank = bytes[3]!;
  const headerBytes = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerBytes) throw new EngineFailure('bad-data', 'the IDX header is truncated', file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { dims, headerBytes };
}

/**
 * Opens one IDX file and checks its length against the header. Gzipped files are inflated into
 * memory (bytes, as stored); raw files above 64 MiB stay on disk and are read per sample.
 */
async function openIdxFile(file: string): Promise<{ header: IdxHeader; records: RecordReader; sha256: string }> {
  const stat = await fs.stat(file).catch(() => {
    throw new EngineFailure('io', 'file not found', file);
  });
  const onDisk = stat.size > 64 * 2 ** 20 && !isGzip(await readHead(file, 2));
  let bytes: Uint8Array;
  let sha256: string;
  if (onDisk) {
    bytes = await readHead(file, 4 + 4 * 255);
    sha256 = await sha256File(file);
  } else {
    const stored = await readFileOrFail(file);
    sha256 = sha256Bytes(stored);
    bytes = isGzip(stored) ? gunzipOrFail(stored, file) : stored;
  }
  const header = parseIdxHeader(bytes, file);
  const [count, ...rest] = header.dims;
  const recordBytes = rest.reduce((a, b) => a * b, 1);
  const expected = header.headerBytes + count! * recordBytes;
  const actual = onDisk ? stat.size : bytes.length;
  if (actual !== expected) {
    const what = actual < expected ? 'truncated' : 'longer than its header says';
    throw new EngineFailure('bad-data', `the IDX file is ${what}: the header promises ${count} items of ${recordBytes} bytes (${expected} bytes), the data has ${actual}`, file);
  }
  const records = onDisk ? recordsOnDisk(file, header.headerBytes, recordBytes, count!) : recordsInMemory(bytes, header.headerBytes, recordBytes, count!);
  return { header, records, sha256 };
}

/** Finds the images/labels pair from either file, a folder, or a shared prefix like `data/t10k`. */
export async function locateIdxPair(given: string, split?: string): Promise<{ images: string; labels: string }> {
  const stat = await fs.stat(given).catch(() => null);
  let images: string | undefined;
  if (stat?.isFile()) {
    images = IMAGES.test(given) ? given : LABELS.test(given) ? await partner(given, LABELS, 'images', IMAGES) : undefined;
    if (!images) throw new EngineFailure('bad-data', 'not an IDX images or labels file name (expected *-images-idx3-ubyte[.gz])', given);
  } else {
    const folder = stat?.isDirectory() ? given : path.dirname(given);
    const prefix = stat?.isDirectory() ? '' : path.basename(given);
    const entries = await fs.readdir(folder).catch(() => {
      throw new EngineFailure('io', 'no such file or folder', given);
    });
    const candidates = entries.filter((n) => n.startsWith(prefix) && IMAGES.test(n)).sort();
    const wanted = split === 'train' ? /train/i : /t10k|test/i;
    const pick = candidates.length === 1 ? candidates[0] : candidates.find((n) => wanted.test(n));
    if (!pick) {
      const why = candidates.length === 0 ? 'no IDX images file (*-images-idx3-ubyte[.gz]) here' : `several IDX image files and none is the ${split ?? 'test'} split: ${candidates.join(', ')}`;
      throw new EngineFailure('bad-data', why, given);
    }
    images = path.join(folder, pick);
  }
  const labels = await partner(images, IMAGES, 'labels', LABELS);
  return { images, labels };
}

async function partner(file: string, own: RegExp, other: 'images' | 'labels', otherPattern: RegExp): Promise<string> {
  const folder = path.dirname(file);
  const base = path.basename(file);
  const stem = base.replace(own, '');
  const entries = await fs.readdir(folder);
  const match = entries.filter((n) => n.startsWith(stem) && otherPattern.test(n) && n.slice(stem.length).replace(otherPattern, '') === '');
  if (match.length === 0) {
    throw new EngineFailure('bad-data', `no matching ${other} file (${stem}-${other === 'labels' ? 'labels-idx1' : 'images-idx3'}-ubyte[.gz]) beside it`, file);
  }
  return path.join(folder, match.sort()[0]!);
}

export async function openIdx(given: string, options: SourceOptions = {}): Promise<ImageSource> {
  const pair = await locateIdxPair(given, options.split);
  const images = await openIdxFile(pair.images);
  const labelsFile = await openIdxFile(pair.labels);
  const dims = images.header.dims;
  if (dims.length !== 3 && dims.length !== 4) {
    throw new EngineFailure('bad-data', `an IDX images file has 3 or 4 dimensions, this one has ${dims.length}`, pair.images);
  }
  if (labelsFile.header.dims.length !== 1) {
    throw new EngineFailure('bad-data', `an IDX labels file has 1 dimension, this one has ${labelsFile.header.dims.length}`, pair.labels);
  }
  if (labelsFile.header.dims[0] !== dims[0]) {
    throw new EngineFailure('bad-data', `${dims[0]} images but ${labelsFile.header.dims[0]} labels in ${path.basename(pair.labels)}`, pair.images);
  }
  const shape: [number, number, number] = [dims[1]!, dims[2]!, dims[3] ?? 1];
  const labels = new Int32Array(dims[0]!);
  for (let i = 0; i < labels.length; i++) labels[i] = labelsFile.records.read(i)[0]!;
  labelsFile.records.close();
  const base = path.basename(pair.images);
  return {
    kind: 'idx',
    path: pair.images,
    files: [pair.images, pair.labels],
    sha256: combineHashes([
      { file: pair.images, sha256: images.sha256 },
      { file: pair.labels, sha256: labelsFile.sha256 },
    ]),
    size: dims[0]!,
    shape,
    dtype: 'uint8',
    labels,
    split: /train/i.test(base) ? 'train' : 'test',
    fileOf: () => pair.images,
    readImages: async (indices) =>
      Array.from(indices, (i) => ({ data: images.records.read(i), height: shape[0], width: shape[1], channels: shape[2] })),
    close: () => images.records.close(),
  };
}
