// The export and verify steps: check the input is still the model that was pruned, write the
// result beside it (never over it), reload what was written and compare its predictions.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PruneParams } from '../../protocol/engine';
import type { ModelFormat, OutputInfo } from '../../protocol/report';
import type { Dataset } from '../data/types';
import { defaultPrunedPath, openModel, saveModel, type LoadedModel } from '../formats';
import { fileSizes } from '../stats';
import { sha256Files } from '../data/files';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';

/** Largest |Δ| between predictions of the written model and the in-memory one that counts as equal. */
export const VERIFY_TOLERANCE = 1e-5;

/**
 * The pruned model is derived from the input as it was loaded (its sha256 is in the report); when
 * the input was changed or deleted meanwhile, writing it would pass off an old model as the new.
 */
export async function assertInputUnchanged(loaded: LoadedModel, sha256AtLoad: string): Promise<void> {
  let sha256Now: string;
  try {
    sha256Now = await sha256Files(loaded.files);
  } catch (error) {
    for (const file of loaded.files) {
      const present = await fs.stat(file).then(() => true, () => false);
      if (!present) throw new EngineFailure('io', 'was deleted while the job ran; no pruned model was written', file);
    }
    throw error;
  }
  if (sha256Now !== sha256AtLoad) {
    throw new EngineFailure('io', 'changed while the job ran (its sha256 differs from when it was loaded); no pruned model was written — run the job again', loaded.path);
  }
}

/**
 * Saves `model` beside the input (never over it), reloads it, and compares its predictions with
 * `reference` (the masked model; for --structured, `model` is the smaller one) on one batch.
 * Every file written is pushed to `written` as soon as it exists, so a failure can remove it.
 */
export async function exportVerified(
  loaded: LoadedModel,
  model: tf.LayersModel,
  reference: tf.LayersModel,
  data: Dataset,
  params: PruneParams,
  written: string[],
  ctx: JobContext,
): Promise<{ output: OutputInfo; files: string[] }> {
  const out = path.resolve(params.out ?? defaultPrunedPath(loaded.path, params.format));
  const format = outputFormat(out, params.format, loaded.format);
  if (loaded.files.some((f) => path.resolve(f) === out)) throw new EngineFailure('io', 'the output path is the input model; choose another --out', out);
  ctx.progress({ stage: 'export', message: `Writing ${out}` });
  const files = await saveModel(model, out, format, { protectedFiles: loaded.files, source: loaded });
  written.push(...files);
  throwIfCancelled(ctx);
  const reloaded = await openModel(out);
  let maxAbsDiff = Infinity;
  try {
    for await (const batch of data.batches({ batchSize: 64, start: 0, end: Math.min(64, data.size) })) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(reference.predict(batch.x) as tf.Tensor, reloaded.model.predict(batch.x) as tf.Tensor))));
      maxAbsDiff = (await diff.data())[0];
      diff.dispose();
      batch.x.dispose();
    }
  } finally {
    reloaded.model.dispose();
  }
  const verified = maxAbsDiff <= VERIFY_TOLERANCE;
  if (!verified) throw new EngineFailure('io', `the written model does not reproduce the pruned model (max |Δ| = ${maxAbsDiff})`, out);
  const sizes = await fileSizes(files);
  return { output: { path: out, format, bytes: sizes.bytes, gzipBytes: sizes.gzipBytes, verified, maxAbsDiff, structured: false }, files };
}

const FORMAT_BY_EXTENSION: [RegExp, ModelFormat][] = [[/\.(h5|hdf5)$/i, 'keras-h5'], [/\.keras$/i, 'keras-v3'], [/\.json$/i, 'tfjs-layers'], [/\.onnx$/i, 'onnx']];

/** --format, else what the output's name says (`x.h5` is written as Keras HDF5), else the input's. */
export function outputFormat(out: string, asked: ModelFormat | undefined, input: ModelFormat): ModelFormat {
  const named = FORMAT_BY_EXTENSION.find(([pattern]) => pattern.test(out))?.[1];
  if (asked && named && asked !== named) throw new EngineFailure('mismatch', `--format ${asked} does not match the output's name (a ${named} file name); change one of them`, out);
  return asked ?? named ?? input;
}

/** The first `limit` samples of a dataset (fine-tuning on part of a large training split). */
export function firstSamples(data: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= data.size) return data;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new EngineFailure('mismatch', `the training limit must be a positive integer (got ${limit})`);
  return {
    info: { ...data.info, samples: limit, note: [data.info.note, `first ${limit} of ${data.size} samples`].filter(Boolean).join('; ') },
    size: limit,
    classes: data.classes,
    imageShape: data.imageShape,
    batches: (options) => data.batches({ ...options, start: Math.min(options.start ?? 0, limit), end: Math.min(options.end ?? limit, limit) }),
    labels: async () => (await data.labels()).slice(0, limit),
  };
}
