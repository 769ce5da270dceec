// NumPy datasets: a .npz (zip of .npy arrays: x/y, x_test/y_test, images/labels, ...) or an images
// .npy with its labels .npy beside it (x_test.npy + y_test.npy, images.npy + labels.npy).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import { EngineFailure } from '../core/errors';
import { budgetPhrase, formatBytes, memoryBudgetBytes } from '../limits/budget';
import { combineHashes, readFileOrFail, sha256Bytes } from './files';
import { itemBytes, type NpyArray, parseNpy, readElements } from './npy';
import type { ImageSource, RawImage, SourceOptions } from './source';

const TEST_KEYS: [string, string][] = [['x_test', 'y_test'], ['x', 'y'], ['images', 'labels'], ['test_images', 'test_labels'], ['X_test', 'y_test'], ['X', 'y']];
const TRAIN_KEYS: [string, string][] = [['x_train', 'y_train'], ['train_images', 'train_labels'], ['X_train', 'y_train']];

export async function openNpz(file: string, options: SourceOptions = {}): Promise<ImageSource> {
  const zipped = await readFileOrFail(file);
  let members: Record<string, Uint8Array>;
  let declared = 0;
  try {
    // fflate allocates each member's declared size before inflating: check it against the budget.
    members = unzipSync(zipped, { filter: (entry) => (declared += entry.originalSize) <= memoryBudgetBytes() });
  } catch (error) {
    throw new EngineFailure('bad-data', `not a readable .npz (zip) file: ${(error as Error).message}`, file);
  }
  if (declared > memoryBudgetBytes()) {
    throw new EngineFailure('too-large', `the arrays in the .npz unpack to ${formatBytes(declared)} or more, over ${budgetPhrase()}`, file);
  }
  const names = Object.keys(members).filter((n) => n.endsWith('.npy')).map((n) => n.slice(0, -4));
  const keyPairs = options.split === 'train' ? TRAIN_KEYS : TEST_KEYS;
  let pair = keyPairs.find(([x, y]) => names.includes(x) && names.includes(y));
  if (!pair && names.length === 2 && options.split !== 'train') {
    const arrays = names.map((n) => parseNpy(members[`${n}.npy`]!, `${file}:${n}`));
    const imagesAt = arrays.findIndex((a) => a.shape.length >= 3);
    if (imagesAt >= 0) pair = [names[imagesAt]!, names[1 - imagesAt]!];
  }
  if (!pair) {
    const wanted = keyPairs.map(([x, y]) => `${x}/${y}`).join(', ');
    throw new EngineFailure('bad-data', `no image and label arrays (${wanted}) in the .npz; it holds: ${names.join(', ') || 'nothing'}`, file);
  }
  const images = parseNpy(members[`${pair[0]}.npy`]!, `${file}:${pair[0]}`);
  const labels = parseNpy(members[`${pair[1]}.npy`]!, `${file}:${pair[1]}`);
  const split = options.split ?? (pair[0].includes('train') ? 'train' : 'test');
  return arraySource('npz', file, [file], sha256Bytes(zipped), images, labels, split, options);
}

/** `x_test.npy` -> `y_test.npy`, `images.npy` -> `labels.npy`, `train_images.npy` -> `train_labels.npy`. */
export function labelsFileFor(imagesFile: string): string[] {
  const dir = path.dirname(imagesFile);
  const base = path.basename(imagesFile);
  const swaps: [RegExp, string][] = [[/images/, 'labels'], [/Images/, 'Labels'], [/^x(?=[_.])/, 'y'], [/^X(?=[_.])/, 'y'], [/data/, 'labels']];
  return swaps.filter(([re]) => re.test(base)).map(([re, to]) => path.join(dir, base.replace(re, to)));
}

export async function openNpy(file: string, options: SourceOptions = {}): Promise<ImageSource> {
  const imagesBytes = await readFileOrFail(file);
  const images = parseNpy(imagesBytes, file);
  let labelsFile: string | undefined;
  for (const candidate of labelsFileFor(file)) {
    if (await fs.stat(candidate).then((s) => s.isFile(), () => false)) {
      labelsFile = candidate;
      break;
    }
  }
  if (!labelsFile) {
    throw new EngineFailure('bad-data', `no labels array beside it (looked for ${labelsFileFor(file).map((f) => path.basename(f)).join(', ') || 'x_*.npy / y_*.npy, images / labels names'})`, file);
  }
  const labelsBytes = await readFileOrFail(labelsFile);
  const labels = parseNpy(labelsBytes, labelsFile);
  const hash = combineHashes([{ file, sha256: sha256Bytes(imagesBytes) }, { file: labelsFile, sha256: sha256Bytes(labelsBytes) }]);
  const split = options.split ?? (/train/i.test(path.basename(file)) ? 'train' : 'test');
  return arraySource('npy', file, [file, labelsFile], hash, images, labels, split, options);
}

function arraySource(
  kind: 'npz' | 'npy',
  file: string,
  files: string[],
  sha256: string,
  images: NpyArray,
  labelArray: NpyArray,
  split: string,
  options: SourceOptions,
): ImageSource {
  const dims = images.shape;
  if (dims.length !== 3 && dims.length !== 4) {
    throw new EngineFailure('bad-data', `the image array has shape (${dims.join(', ')}); expected (N, H, W), (N, H, W, C) or (N, C, H, W)`, file);
  }
  // NCHW when the descriptor says so, or when dim 1 looks like channels and dim 3 does not.
  const nchw = dims.length === 4 && (options.layout ? options.layout === 'NCHW' : [1, 3, 4].includes(dims[1]!) && ![1, 3, 4].includes(dims[3]!));
  const [n, h, w, c] = dims.length === 3 ? [dims[0]!, dims[1]!, dims[2]!, 1] : nchw ? [dims[0]!, dims[2]!, dims[3]!, dims[1]!] : (dims as [number, number, number, number]);
  const labels = decodeLabels(labelArray, n, file);
  const perImage = h * w * c;
  const bytesPerImage = perImage * itemBytes(images.dtype);
  const isFloat = images.dtype === 'f4' || images.dtype === 'f8';
  const readImage = (i: number): RawImage => {
    const stored: Uint8Array | Float32Array =
      images.dtype === 'u1' ? images.data.subarray(i * bytesPerImage, (i + 1) * bytesPerImage) : Float32Array.from(readElements(images, i * perImage, perImage));
    if (!nchw) return { data: stored, height: h, width: w, channels: c };
    const hwc = stored instanceof Uint8Array ? new Uint8Array(perImage) : new Float32Array(perImage);
    const plane = h * w;
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) hwc[p * c + ch] = stored[ch * plane + p]!;
    return { data: hwc, height: h, width: w, channels: c };
  };
  return {
    kind,
    path: file,
    files,
    sha256,
    size: n,
    shape: [h, w, c],
    dtype: isFloat ? 'float32' : 'uint8',
    labels,
    split,
    fileOf: () => file,
    readImages: async (indices) => Array.from(indices, readImage),
    close: () => undefined,
  };
}

/** Integer labels (N) or (N, 1), or one-hot (N, C) rows. */
function decodeLabels(array: NpyArray, count: number, file: string): Int32Array {
  const [n, width = 1, ...more] = array.shape;
  if (n !== count || more.length > 0) {
    throw new EngineFailure('bad-data', `${count} images but the label array has shape (${array.shape.join(', ')})`, file);
  }
  const values = readElements(array, 0, n * width);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      const v = values[i]!;
      if (!Number.isInteger(v)) throw new EngineFailure('bad-data', `label ${v} of sample ${i} is not an integer`, file);
      labels[i] = v;
    } else {
      let best = 0;
      for (let k = 1; k < width; k++) if (values[i * width + k]! > values[i * width + best]!) best = k;
      labels[i] = best;
    }
  }
  return labels;
}
