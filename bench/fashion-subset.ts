// Writes the first N images and labels of a Fashion-MNIST split as a gzipped IDX pair (header
// count N) into a folder, so the benchmarks can fine-tune on a fixed, documented training subset
// through the CLI's ordinary `--train-data <folder>` (the CLI has no training-sample limit).
//   node --import tsx bench/fashion-subset.ts --split train --count 4000 --out /tmp/quench-bench/train-4k
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FASHION_DIR } from './train-data';

/** The IDX file's first `count` records: header with the count replaced, then the records' bytes. */
function idxPrefix(file: string, count: number): Buffer {
  const data = gunzipSync(readFileSync(file));
  const rank = data[3];
  const total = data.readUInt32BE(4);
  if (count > total) throw new Error(`${file} holds ${total} records; ${count} were asked for`);
  const header = Buffer.from(data.subarray(0, 4 + 4 * rank));
  header.writeUInt32BE(count, 4);
  let recordBytes = 1;
  for (let i = 1; i < rank; i++) recordBytes *= data.readUInt32BE(4 + 4 * i);
  return Buffer.concat([header, data.subarray(header.length, header.length + count * recordBytes)]);
}

/** Writes `<out>/<split>-{images-idx3,labels-idx1}-ubyte.gz` (atomically) and returns the folder. */
export function writeFashionSubset(split: 'train' | 't10k', count: number, out: string, dir = FASHION_DIR): string {
  mkdirSync(out, { recursive: true });
  for (const kind of ['images-idx3', 'labels-idx1']) {
    const name = `${split}-${kind}-ubyte.gz`;
    const target = path.join(out, name);
    writeFileSync(`${target}.tmp`, gzipSync(idxPrefix(path.join(dir, name), count), { level: 1 }));
    renameSync(`${target}.tmp`, target);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
  const arg = (name: string, fallback: string) => {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
  };
  const split = arg('split', 'train') as 'train' | 't10k';
  const count = Number(arg('count', '4000'));
  const out = arg('out', `/tmp/quench-bench/${split}-${count}`);
  console.log(writeFashionSubset(split, count, out));
}
