// Makes examples/data's training subset from the full Fashion-MNIST training set: the first 1,000
// images of each class, kept in the training file's order (10,000 images, exactly class-balanced,
// no random choice to reproduce), written as gzipped IDX files beside the test subset, where the
// engine's training-data discovery finds them (train-* beside t10k-*). Also checks that the test
// subset already there is the first 2,000 images of the test set.
//
// Deterministic: the IDX contents depend only on the source files. A file whose contents already
// match is left as it is, so a zlib that compresses differently never rewrites the repository.
// Run: node scripts/make-example-data.mjs [--source /usr/share/datasets/fashion-mnist]
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const PER_CLASS = 1000;
const CLASSES = 10;
const TEST_COUNT = 2000;

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'examples/data');
const at = process.argv.indexOf('--source');
const source = at > 0 ? path.resolve(process.argv[at + 1] ?? '') : '/usr/share/datasets/fashion-mnist';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** An IDX file of unsigned bytes: its dimensions and the bytes after the header. */
async function readIdx(file, rank) {
  const bytes = gunzipSync(await fs.readFile(file).catch(() => fail(`${file} does not exist (pass --source <folder with the Fashion-MNIST .gz files>)`)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0 || bytes[2] !== 0x08 || bytes[3] !== rank) fail(`${file} is not an IDX file of unsigned bytes with ${rank} dimensions`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const body = bytes.subarray(4 + 4 * rank);
  if (body.length !== dims.reduce((a, b) => a * b, 1)) fail(`${file}: the header promises ${dims.join('x')} bytes, the file holds ${body.length}`);
  return { dims, body };
}

function idxBytes(dims, body) {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  return Buffer.concat([header, body]);
}

/** Writes `raw` gzipped unless the file there already inflates to exactly these bytes. */
async function writeGz(name, raw) {
  const file = path.join(out, name);
  const existing = await fs.readFile(file).catch(() => null);
  if (existing && gunzipSync(existing).equals(raw)) return { file, written: false, size: existing.length };
  const gz = gzipSync(raw, { level: 9 });
  await fs.writeFile(file, gz);
  return { file, written: true, size: gz.length };
}

function fail(message) {
  console.error(`make-example-data: ${message}`);
  process.exit(1);
}

const images = await readIdx(path.join(source, 'train-images-idx3-ubyte.gz'), 3);
const labels = await readIdx(path.join(source, 'train-labels-idx1-ubyte.gz'), 1);
if (images.dims[0] !== labels.dims[0]) fail(`${images.dims[0]} training images but ${labels.dims[0]} labels`);
const pixels = images.dims[1] * images.dims[2];

// The first PER_CLASS samples of every class, in file order.
const taken = new Array(CLASSES).fill(0);
const picked = [];
for (let i = 0; i < labels.dims[0] && picked.length < PER_CLASS * CLASSES; i++) {
  const label = labels.body[i];
  if (label >= CLASSES) fail(`training label ${label} of sample ${i} is not a Fashion-MNIST class`);
  if (taken[label] < PER_CLASS) {
    taken[label]++;
    picked.push(i);
  }
}
if (picked.length !== PER_CLASS * CLASSES) fail(`the training set has fewer than ${PER_CLASS} images of some class (${taken.join(', ')})`);

const subsetImages = Buffer.alloc(picked.length * pixels);
const subsetLabels = Buffer.alloc(picked.length);
picked.forEach((i, k) => {
  subsetImages.set(images.body.subarray(i * pixels, (i + 1) * pixels), k * pixels);
  subsetLabels[k] = labels.body[i];
});
const rawImages = idxBytes([picked.length, images.dims[1], images.dims[2]], subsetImages);
const rawLabels = idxBytes([picked.length], subsetLabels);
const results = [await writeGz('train-images-idx3-ubyte.gz', rawImages), await writeGz('train-labels-idx1-ubyte.gz', rawLabels)];
console.log(`training subset: ${picked.length} images (${PER_CLASS} per class), the last one is training sample ${picked.at(-1)} of ${labels.dims[0]}`);
for (const [r, raw] of [[results[0], rawImages], [results[1], rawLabels]]) {
  console.log(`  ${path.relative(repo, r.file)}: ${r.size} bytes (${r.written ? 'written' : 'unchanged'}), IDX sha256 ${sha256(raw)}`);
}

// The test subset: the first TEST_COUNT images and labels of t10k, with the count in the header.
const testImages = await readIdx(path.join(source, 't10k-images-idx3-ubyte.gz'), 3);
const testLabels = await readIdx(path.join(source, 't10k-labels-idx1-ubyte.gz'), 1);
const wantTest = {
  't10k-images-idx3-ubyte.gz': idxBytes([TEST_COUNT, testImages.dims[1], testImages.dims[2]], testImages.body.subarray(0, TEST_COUNT * pixels)),
  't10k-labels-idx1-ubyte.gz': idxBytes([TEST_COUNT], testLabels.body.subarray(0, TEST_COUNT)),
};
for (const [name, raw] of Object.entries(wantTest)) {
  const r = await writeGz(name, raw);
  console.log(`test subset: examples/data/${name}: ${r.size} bytes (${r.written ? 'written' : 'unchanged: the first 2,000 test samples'})`);
}
