// A Dataset over any ImageSource: checks it against the model, resolves preprocessing, and streams
// preprocessed batches (one float batch in memory at a time).
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { IMAGENET_NORMALISATION } from '../../protocol/engine';
import type { DatasetInfo } from '../../protocol/report';
import { EngineFailure } from '../core/errors';
import type { DatasetDescriptor } from './descriptor';
import { channelsCompatible, type Preprocessing, writeImage } from './preprocess';
import type { ImageSource } from './source';
import type { Batch, BatchOptions, Dataset } from './types';

export interface ModelExpectations {
  /** Model input shape without the batch dimension; null for free dimensions. */
  inputShape: (number | null)[];
  /** Number of model outputs (classes). */
  classes: number;
  limit?: number;
  /** The model's own class names (Teachable Machine's metadata.json), as the file lists them. */
  classNames?: string[];
  /** The file that lists them, for the note when they do not fit the outputs. */
  classNamesFile?: string;
  /** Explicit preprocessing (wins over the descriptor and inference). */
  preprocessing?: Partial<Omit<Preprocessing, 'source'>>;
  /**
   * The model takes 3-channel images channels-first (a PyTorch export): such models usually
   * expect ImageNet mean/std, so data that states none gets a note saying where to set it.
   */
  suggestImageNet?: boolean;
}


/** `descriptorTarget`: the file where a setting for this data goes (named in the ImageNet note). */
export function createDataset(source: ImageSource, expect: ModelExpectations, descriptor?: DatasetDescriptor, descriptorTarget?: string): Dataset {
  const notes: string[] = [];
  const target = targetShape(source, expect.inputShape, descriptor, notes);
  const prep = resolvePreprocessing(source, expect, target[2], descriptor);
  if (expect.suggestImageNet && target[2] === 3 && !prep.mean && !prep.std) notes.push(imageNetNote(prep.scale, descriptorTarget ?? descriptor?.file));
  const limit = expect.limit ?? descriptor?.limit;
  const size = limit !== undefined ? Math.min(source.size, Math.max(0, Math.floor(limit))) : source.size;
  if (size === 0) throw new EngineFailure('bad-data', 'the dataset holds no samples', source.path);
  checkLabels(source, size, expect.classes);
  const labelNames = resolveLabelNames(source, expect, descriptor, notes);
  const info: DatasetInfo = {
    path: path.resolve(source.path),
    kind: source.kind,
    samples: size,
    classes: expect.classes,
    sha256: source.sha256,
    split: descriptor?.split ?? source.split,
    preprocessing: { scale: prep.scale, ...(prep.mean && { mean: prep.mean }), ...(prep.std && { std: prep.std }), source: prep.source },
    ...(labelNames && { labelNames }),
    ...(notes.length > 0 && { note: notes.join(' ') }),
  };

  async function* batches(options: BatchOptions): AsyncGenerator<Batch> {
    const start = Math.max(0, options.start ?? 0);
    const end = Math.min(size, options.end ?? size);
    const order = sampleOrder(start, end, options.shuffleSeed);
    const per = target[0] * target[1] * target[2];
    for (let i = 0; i < order.length; i += options.batchSize) {
      const indices = order.subarray(i, Math.min(order.length, i + options.batchSize));
      const images = await source.readImages(indices);
      const x = new Float32Array(indices.length * per);
      const y = new Int32Array(indices.length);
      images.forEach((image, k) => {
        if (source.shape === null && !channelsCompatible(image.channels, target[2])) {
          throw new EngineFailure('mismatch', `the image has ${image.channels} channels, the model wants ${target[2]}`, source.fileOf(indices[k]!));
        }
        writeImage(image, target, prep, x, k * per);
        y[k] = source.labels[indices[k]!]!;
      });
      // Float arrays can carry NaN / Inf, and so can a std of 0: such inputs make every result NaN.
      const bad = x.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        const sample = indices[Math.floor(bad / per)]!;
        throw new EngineFailure('bad-data', `sample ${sample} holds NaN or infinite values after preprocessing`, source.fileOf(sample));
      }
      yield { x: tf.tensor4d(x, [indices.length, ...target]), y };
    }
  }

  return {
    info,
    size,
    classes: expect.classes,
    imageShape: target,
    batches,
    labels: async () => source.labels.slice(0, size),
    close: () => source.close(),
  };
}

function targetShape(
  source: ImageSource,
  inputShape: (number | null)[],
  descriptor: DatasetDescriptor | undefined,
  notes: string[],
): [number, number, number] {
  const shape = source.shape;
  if (inputShape.length === 1) {
    // A flat input (an MLP on 784 pixels): the stored image must hold exactly that many values.
    const [h, w, c] = shape ?? [0, 0, 0];
    if (shape === null || h * w * c !== inputShape[0]) {
      throw new EngineFailure('mismatch', `images of shape ${fmt(shape)} cannot feed a flat model input of ${inputShape[0]} values`, source.path);
    }
    return shape;
  }
  if (inputShape.length !== 3) {
    throw new EngineFailure('mismatch', `the model input ${fmt(inputShape)} is not an image (height, width, channels)`, source.path);
  }
  const [mh, mw, mc] = inputShape;
  const channels = mc ?? shape?.[2] ?? 3;
  if (shape && !channelsCompatible(shape[2], channels)) {
    throw new EngineFailure('mismatch', `images have ${shape[2]} channels, the model wants ${channels} (input ${fmt(inputShape)})`, source.path);
  }
  if (!shape) {
    if (mh === null || mw === null) throw new EngineFailure('mismatch', 'the model has a free input size and the images differ in size', source.path);
    return [mh, mw, channels];
  }
  const height = mh ?? shape[0];
  const width = mw ?? shape[1];
  if (height !== shape[0] || width !== shape[1]) {
    // Resizing is safe when the aspect ratio is kept (28x28 -> 32x32); otherwise the user says so.
    const sameAspect = Math.abs(height / width - shape[0] / shape[1]) < 1e-6;
    if (!sameAspect && !descriptor?.resize) {
      throw new EngineFailure('mismatch', `images are ${fmt(shape)}, the model wants ${fmt([height, width, channels])}; set "resize" in a .dataset.json to resize anyway`, source.path);
    }
    notes.push(`Images resized from ${shape[0]}x${shape[1]} to ${height}x${width} (${descriptor?.resize ?? 'bilinear'}).`);
  }
  if (shape[2] !== channels) notes.push(`Images converted from ${shape[2]} to ${channels} channels.`);
  return [height, width, channels];
}

/**
 * The names of the labels, from the first place that names them: the descriptor, the model's own
 * names, the image folder's class folders or CIFAR's meta file. A list whose length is not the
 * model's class count is left out with a note (the folder's names stay: they define the labels);
 * so is a disagreement between the names used and the model's or the data's own.
 */
function resolveLabelNames(source: ImageSource, expect: ModelExpectations, descriptor: DatasetDescriptor | undefined, notes: string[]): string[] | undefined {
  const classes = expect.classes;
  let fromModel = expect.classNames;
  if (fromModel && fromModel.length !== classes) {
    notes.push(namesNotUsed(expect.classNamesFile ?? 'metadata.json', fromModel.length, classes));
    fromModel = undefined;
  }
  let fromDescriptor = descriptor?.labels;
  if (fromDescriptor && fromDescriptor.length !== classes) {
    notes.push(namesNotUsed(descriptor!.file, fromDescriptor.length, classes));
    fromDescriptor = undefined;
  }
  const fromSource = source.labelNames;
  if (fromSource && fromSource.length !== classes) {
    const what = source.kind === 'image-folder' ? `${fromSource.length} class folders (label k is the k-th in sorted order)` : `${fromSource.length} class names`;
    notes.push(`The data has ${what}; the model has ${classes} outputs.`);
  }
  const usable = fromSource && (fromSource.length === classes || source.kind === 'image-folder') ? fromSource : undefined;
  const names = fromDescriptor ?? fromModel ?? usable;
  const differs = (other: string[] | undefined): boolean => !!names && !!other && other.length === names.length && other.some((n, i) => n !== names[i]);
  if (names !== fromModel && differs(fromModel)) {
    notes.push(`The data's class names differ from the model's (${quoteList(fromModel!)}); labels are read as the data numbers them (${quoteList(names!)}).`);
  } else if (names !== usable && differs(usable)) {
    notes.push(`The class names used (${quoteList(names!)}) differ from the data's own (${quoteList(usable!)}).`);
  }
  return names;
}

/** Said where a 3-channel channels-first model reads data with no mean/std: never guessed, only pointed at. */
export function imageNetNote(scale: Preprocessing['scale'], descriptorFile: string | undefined): string {
  const read = scale === 'none' ? 'values as stored' : `pixels scaled to ${scale}`;
  const where = descriptorFile ? `"mean" and "std" in ${descriptorFile}` : '"mean" and "std" in a dataset.json beside the data';
  return (
    `No mean/std was applied to this 3-channel model's input (${read} only). PyTorch image models usually expect ` +
    `ImageNet normalisation (mean [${IMAGENET_NORMALISATION.mean.join(', ')}], std [${IMAGENET_NORMALISATION.std.join(', ')}] on 0..1 pixels); ` +
    `if this model was trained so, set ${where} (the dataset step in VS Code offers it; \`quench dataset <data> --imagenet\` sets it).`
  );
}

/** The note for a list of class names that does not fit the model's outputs. */
export function namesNotUsed(file: string, count: number, classes: number): string {
  return `The class names in ${path.basename(file)} were not used: it names ${count} classes, the model has ${classes} outputs.`;
}

function quoteList(names: string[]): string {
  const shown = names.slice(0, 6).join(', ');
  return names.length > 6 ? `${shown}, … ${names.length} in all` : shown;
}

function checkLabels(source: ImageSource, size: number, classes: number): void {
  const labels = source.labels;
  for (let i = 0; i < size; i++) {
    const label = labels[i]!;
    if (label < 0) throw new EngineFailure('bad-data', `label ${label} of sample ${i} is negative`, source.fileOf(i));
    if (label >= classes) {
      throw new EngineFailure('mismatch', `label ${label} of sample ${i} is outside the model's ${classes} outputs (0..${classes - 1})`, source.fileOf(i));
    }
  }
}

function resolvePreprocessing(
  source: ImageSource,
  expect: ModelExpectations,
  channels: number,
  descriptor?: DatasetDescriptor,
): Preprocessing {
  const option = expect.preprocessing ?? {};
  const fromDescriptor = descriptor && (descriptor.scale || descriptor.mean || descriptor.std);
  const hasOption = option.scale !== undefined || option.mean !== undefined || option.std !== undefined;
  // Pixels stored as bytes are scaled to 0..1 (what almost every Keras/TF.js MNIST/CIFAR model
  // was trained on); float arrays are taken as already preprocessed.
  const inferred = source.dtype === 'uint8' ? '0..1' : 'none';
  const prep: Preprocessing = {
    scale: option.scale ?? descriptor?.scale ?? inferred,
    resize: option.resize ?? descriptor?.resize ?? 'bilinear',
    source: hasOption ? 'option' : fromDescriptor ? 'descriptor' : 'inferred',
  };
  const mean = option.mean ?? descriptor?.mean;
  const std = option.std ?? descriptor?.std;
  for (const [key, values] of [['mean', mean], ['std', std]] as const) {
    if (values && values.length !== 1 && values.length !== channels) {
      const where = option[key] ? source.path : (descriptor?.file ?? source.path);
      throw new EngineFailure('bad-data', `"${key}" has ${values.length} values; the model input has ${channels} channels`, where);
    }
  }
  if (mean) prep.mean = mean;
  if (std) prep.std = std;
  return prep;
}

/** [start, end) in order, or shuffled by a seeded Fisher-Yates (mulberry32) for training. */
export function sampleOrder(start: number, end: number, seed?: number): Int32Array {
  const order = new Int32Array(Math.max(0, end - start));
  for (let i = 0; i < order.length; i++) order[i] = start + i;
  if (seed === undefined) return order;
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

function fmt(shape: readonly (number | null)[] | null): string {
  return shape ? `[${shape.map((d) => d ?? '?').join(', ')}]` : 'of varying size';
}
