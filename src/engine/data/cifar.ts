// CIFAR-10 / CIFAR-100 binary batches (the "binary version" archives): fixed records of label
// byte(s) + 3072 bytes of R, G and B planes, 32x32. Read per record from disk; memory stays small.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EngineFailure } from '../core/errors';
import { combineHashes, recordsOnDisk, type RecordReader } from './files';
import type { ImageSource, RawImage, SourceOptions } from './source';

const PIXELS = 32 * 32;
const CIFAR10_TEST = /^test_batch\.bin$/;
const CIFAR10_TRAIN = /^data_batch_\d+\.bin$/;
const CIFAR100 = /^(test|train)\.bin$/;

export function looksLikeCifar(file: string): boolean {
  const base = path.basename(file);
  return CIFAR10_TEST.test(base) || CIFAR10_TRAIN.test(base) || CIFAR100.test(base);
}

/** The batch files for `given` (a batch file or the extracted folder) and the split asked for. */
export async function locateCifar(given: string, split?: string): Promise<{ files: string[]; split: string }> {
  const stat = await fs.stat(given).catch(() => null);
  if (!stat) throw new EngineFailure('io', 'no such file or folder', given);
  if (stat.isFile()) {
    const base = path.basename(given);
    if (/^(data|test)_batch(_\d+)?$/.test(base)) {
      throw new EngineFailure('unsupported', 'this is the CIFAR "python version" (a pickle); Quench never unpickles data. Use the binary version (cifar-10-binary.tar.gz)', given);
    }
    return { files: [given], split: /train|data_batch/.test(base) ? 'train' : 'test' };
  }
  const entries = (await fs.readdir(given)).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const wantTrain = split === 'train';
  const cifar10 = entries.filter((n) => (wantTrain ? CIFAR10_TRAIN : CIFAR10_TEST).test(n));
  const cifar100 = entries.filter((n) => n === (wantTrain ? 'train.bin' : 'test.bin'));
  const found = cifar10.length > 0 ? cifar10 : cifar100;
  if (found.length === 0) throw new EngineFailure('bad-data', `no CIFAR ${wantTrain ? 'training' : 'test'} batch (*.bin) in this folder`, given);
  return { files: found.map((n) => path.join(given, n)), split: wantTrain ? 'train' : 'test' };
}

export async function openCifar(given: string, options: SourceOptions = {}): Promise<ImageSource> {
  const located = await locateCifar(given, options.split);
  const fine100 = located.files.every((f) => CIFAR100.test(path.basename(f)));
  const labelBytes = fine100 ? 2 : 1;
  // CIFAR-100 records carry (coarse, fine): the fine label unless the model has 20 outputs.
  const labelOffset = fine100 && options.classes !== 20 ? 1 : 0;
  const recordBytes = labelBytes + 3 * PIXELS;
  const parts: { file: string; records: RecordReader; labels: Int32Array; sha256: string }[] = [];
  for (const file of located.files) {
    const { size } = await fs.stat(file);
    if (size === 0 || size % recordBytes !== 0) {
      throw new EngineFailure('bad-data', `not a CIFAR-${fine100 ? 100 : 10} binary batch: ${size} bytes is not a whole number of ${recordBytes}-byte records (truncated?)`, file);
    }
    const count = size / recordBytes;
    const { labels, sha256 } = await scanLabels(file, recordBytes, labelOffset, count);
    parts.push({ file, records: recordsOnDisk(file, 0, recordBytes, count), labels, sha256 });
  }
  const size = parts.reduce((a, p) => a + p.labels.length, 0);
  const labels = new Int32Array(size);
  const starts: number[] = [];
  let at = 0;
  for (const part of parts) {
    starts.push(at);
    labels.set(part.labels, at);
    at += part.labels.length;
  }
  const partOf = (i: number): number => {
    let k = starts.length - 1;
    while (starts[k]! > i) k--;
    return k;
  };
  const readImage = (i: number): RawImage => {
    const k = partOf(i);
    const record = parts[k]!.records.read(i - starts[k]!);
    const hwc = new Uint8Array(3 * PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      hwc[p * 3] = record[labelBytes + p]!;
      hwc[p * 3 + 1] = record[labelBytes + PIXELS + p]!;
      hwc[p * 3 + 2] = record[labelBytes + 2 * PIXELS + p]!;
    }
    return { data: hwc, height: 32, width: 32, channels: 3 };
  };
  return {
    kind: 'cifar',
    path: given,
    files: located.files,
    sha256: combineHashes(parts.map((p) => ({ file: p.file, sha256: p.sha256 }))),
    size,
    shape: [32, 32, 3],
    dtype: 'uint8',
    labels,
    labelNames: await labelNames(path.dirname(located.files[0]!), fine100, labelOffset === 1),
    split: located.split,
    fileOf: (i) => parts[partOf(i)]!.file,
    readImages: async (indices) => Array.from(indices, readImage),
    close: () => parts.forEach((p) => p.records.close()),
  };
}

/** One streaming pass: the file's hash and every record's label byte. */
async function scanLabels(file: string, recordBytes: number, labelOffset: number, count: number): Promise<{ labels: Int32Array; sha256: string }> {
  const hash = createHash('sha256');
  const labels = new Int32Array(count);
  let position = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    const first = Math.ceil((position - labelOffset) / recordBytes);
    for (let r = Math.max(0, first); r * recordBytes + labelOffset < position + chunk.length; r++) {
      labels[r] = chunk[r * recordBytes + labelOffset - position]!;
    }
    position += chunk.length;
  }
  return { labels, sha256: hash.digest('hex') };
}

async function labelNames(folder: string, cifar100: boolean, fine: boolean): Promise<string[] | undefined> {
  const file = path.join(folder, cifar100 ? (fine ? 'fine_label_names.txt' : 'coarse_label_names.txt') : 'batches.meta.txt');
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  const names = text?.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  return names && names.length > 0 ? names : undefined;
}
