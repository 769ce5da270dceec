// What the Keras tier checks: the Keras-made fixture zoo (test/fixtures/zoo/manifest.json), the
// example model, the 256 Fashion-MNIST test images they are judged on, and the 50% kernel masks.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { openIdx } from '../../src/engine/data/idx';
import { openModel, type LoadedModel } from '../../src/engine/formats/index';
import type { ModelFormat } from '../../src/protocol/report';
import { leafLayers, repoRoot, shortWeightName, type Batch } from './judge';

/** The zoo's folder; QUENCH_ZOO_DIR points the tier at another one (a zoo being made). */
export const zooDir = path.resolve(repoRoot, process.env['QUENCH_ZOO_DIR'] ?? 'test/fixtures/zoo');
export const manifestPath = path.join(zooDir, 'manifest.json');
export const exampleDir = path.join(repoRoot, 'examples/fashion-vgg');
export const dataDir = path.join(repoRoot, 'examples/data');
export const TOLERANCE = 1e-4;

export type FileKind = 'keras' | 'h5' | 'tfjs';
export const FILE_KINDS: FileKind[] = ['keras', 'h5', 'tfjs'];
export const OUTPUT_FORMATS: ModelFormat[] = ['tfjs-layers', 'keras-h5', 'keras-v3'];

export interface ZooModel {
  name: string;
  files: Partial<Record<FileKind, string>>;
  params?: number;
  top1?: number;
  layers?: unknown;
}

export interface Manifest {
  keras?: string;
  tensorflow?: string;
  models: ZooModel[];
}

/** The manifest, or the reason there is none (the zoo is committed: a missing one is a failure). */
export function readManifest(): { manifest: Manifest | null; problem: string | null } {
  const shown = path.relative(repoRoot, manifestPath);
  if (!existsSync(manifestPath)) return { manifest: null, problem: `${shown} does not exist (the zoo is committed; it is made by the zoo helper)` };
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (!Array.isArray(manifest.models) || manifest.models.length === 0) return { manifest: null, problem: `${shown} lists no models` };
    return { manifest, problem: null };
  } catch (error) {
    return { manifest: null, problem: `${shown} is not valid JSON: ${(error as Error).message}` };
  }
}

export function zooFile(model: ZooModel, kind: FileKind): string | null {
  const rel = model.files[kind];
  return rel ? path.join(zooDir, rel) : null;
}

/** The example model's three files, as a zoo entry. */
export const exampleModel: ZooModel = {
  name: 'examples/fashion-vgg',
  files: { keras: 'fashion-vgg.keras', h5: 'fashion-vgg.h5', tfjs: 'model.json' },
};
export function exampleFile(kind: FileKind): string {
  return path.join(exampleDir, exampleModel.files[kind]!);
}

export const rel = (file: string): string => path.relative(repoRoot, file);

let backend: Promise<void> | null = null;
/** The tests predict on the wasm backend, as the engine does by default. */
export function useWasm(): Promise<void> {
  backend ??= tf.setBackend('wasm').then(async (ok) => {
    if (!ok) throw new Error('the tfjs wasm backend did not start');
    await tf.ready();
  });
  return backend;
}

let images: Promise<Batch> | null = null;
/** The first `count` images of examples/data's Fashion-MNIST test set through the engine's IDX reader, p/255. */
export function fashionImages(count = 256): Promise<Batch> {
  images ??= (async () => {
    const source = await openIdx(dataDir, { split: 'test' });
    try {
      const raw = await source.readImages(Array.from({ length: count }, (_, i) => i));
      const [h, w, c] = source.shape!;
      const data = new Float32Array(count * h * w * c);
      raw.forEach((image, i) => data.set(Array.from(image.data, (p) => p / 255), i * h * w * c));
      return { data, shape: [count, h, w, c] };
    } finally {
      source.close();
    }
  })();
  return images;
}

/** The batch's shape must be what the model takes (every zoo model takes 28x28x1). */
export function assertTakes(model: tf.LayersModel, batch: Batch, file: string): void {
  const want = model.inputs[0]!.shape.slice(1);
  const have = batch.shape.slice(1);
  if (model.inputs.length !== 1 || want.some((d, i) => d !== null && d !== have[i])) {
    throw new Error(`${rel(file)} takes input ${JSON.stringify(model.inputs.map((i) => i.shape))}, the tier feeds ${JSON.stringify(batch.shape)}`);
  }
}

/**
 * Quench's reading of the first of the model's files it opens (.keras, then .h5, then TF.js), for
 * the writing checks: a reader failure is reported by the reading checks, and should not hide what
 * the writers do. Throws with every reader's error when none opens.
 */
export async function openFirst(model: ZooModel, fileOf: (kind: FileKind) => string | null): Promise<{ loaded: LoadedModel; file: string }> {
  const errors: string[] = [];
  for (const kind of FILE_KINDS) {
    const file = fileOf(kind);
    if (!file) continue;
    try {
      return { loaded: await openModel(file), file };
    } catch (error) {
      errors.push(`${rel(file)}: ${(error as Error).message}`);
    }
  }
  throw new Error(`Quench opens none of ${model.name}'s files:\n${errors.join('\n')}`);
}

export const MASKED_CLASSES = new Set(['Conv2D', 'Dense', 'DepthwiseConv2D', 'SeparableConv2D']);

export interface MaskedKernel {
  layer: string;
  weight: string;
  /** Position among the layer's weights (Keras 3 calls DepthwiseConv2D's `kernel`, tfjs `depthwise_kernel`). */
  index: number;
  shape: number[];
  size: number;
  /** Exact zeros in the kernel after masking. */
  zeros: number;
}

/**
 * Zeroes the floor(n/2) smallest-magnitude entries of every Conv2D / Dense / DepthwiseConv2D /
 * SeparableConv2D kernel (depthwise and pointwise kernels too) of `model`, in place, with setWeights.
 */
export function maskHalf(model: tf.LayersModel): MaskedKernel[] {
  const masked: MaskedKernel[] = [];
  for (const layer of leafLayers(model)) {
    if (!MASKED_CLASSES.has(layer.getClassName())) continue;
    const values = layer.getWeights();
    const next = layer.weights.map((w, i) => {
      const name = shortWeightName(w);
      if (!name.endsWith('kernel')) return values[i]!;
      const data = Float32Array.from(values[i]!.dataSync());
      const order = Array.from(data.keys()).sort((a, b) => Math.abs(data[a]!) - Math.abs(data[b]!));
      for (const j of order.slice(0, Math.floor(data.length / 2))) data[j] = 0;
      let zeros = 0;
      for (const v of data) if (v === 0) zeros++;
      masked.push({ layer: layer.name, weight: name, index: i, shape: w.shape as number[], size: data.length, zeros });
      return tf.tensor(data, values[i]!.shape);
    });
    layer.setWeights(next); // copies into the variables; `values` are the variables' own tensors
    next.forEach((t, i) => t !== values[i] && t.dispose());
  }
  return masked;
}

/** The file an output format is saved to inside `dir`. */
export function outputPath(dir: string, format: ModelFormat): string {
  return format === 'tfjs-layers' ? path.join(dir, 'tfjs', 'model.json') : path.join(dir, format === 'keras-h5' ? 'model.h5' : 'model.keras');
}
