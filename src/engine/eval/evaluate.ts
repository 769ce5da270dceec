// Batched evaluation of a classifier on a Dataset: top-1/top-5, per-class accuracy, confusion
// matrix, mean cross-entropy. One batch of tensors alive at a time; cancellable between batches.
import * as tf from '@tensorflow/tfjs';
import type { AccuracyResult } from '../../protocol/report';
import type { Dataset } from '../data/types';
import { EngineFailure, throwIfCancelled, type JobContext } from '../jobs/context';
import { ClassificationTally, looksLikeProbabilities } from './metrics';

export interface EvaluateOptions {
  /** Only the first `limit` samples. */
  limit?: number;
  /** Samples per model.predict call (256 keeps wasm busy without large buffers). */
  batchSize?: number;
  /** Progress stage name (e.g. 'evaluate-before'). */
  stage?: string;
}

export interface EvaluationResult {
  accuracy: AccuracyResult;
  /** confusion[true][predicted] */
  confusion: number[][];
  seconds: number;
}

export async function evaluate(
  model: tf.LayersModel,
  dataset: Dataset,
  ctx: JobContext,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 256;
  const end = Math.min(dataset.size, options.limit ?? dataset.size);
  const stage = options.stage ?? 'evaluate';
  const inputShape = model.inputs[0]!.shape.slice(1);
  const flat = inputShape.length === 1;
  const classes = outputClasses(model);
  if (classes < dataset.classes) {
    throw new EngineFailure('mismatch', `the model has ${classes} outputs, the dataset ${dataset.classes} classes`, dataset.info.path);
  }
  const tally = new ClassificationTally(classes);
  let probabilities: boolean | undefined;
  let done = 0;
  for await (const batch of dataset.batches({ batchSize, start: 0, end })) {
    let outputs: Float32Array;
    try {
      throwIfCancelled(ctx);
      const prediction = tf.tidy(() => {
        const x = flat ? batch.x.reshape([batch.y.length, -1]) : batch.x;
        const y = model.predict(x) as tf.Tensor | tf.Tensor[];
        return Array.isArray(y) ? y[0]! : y;
      });
      try {
        outputs = (await prediction.data()) as Float32Array;
      } finally {
        prediction.dispose();
      }
    } finally {
      batch.x.dispose();
    }
    probabilities ??= looksLikeProbabilities(outputs, classes);
    tally.add(outputs, batch.y, probabilities);
    done += batch.y.length;
    const elapsed = (performance.now() - started) / 1000;
    ctx.progress({ stage, step: done, steps: end, fraction: done / end, etaSeconds: done > 0 ? (elapsed / done) * (end - done) : undefined });
  }
  return { accuracy: tally.result(), confusion: tally.confusion, seconds: (performance.now() - started) / 1000 };
}

/** The size of the model's (first) output: its class count. */
export function outputClasses(model: tf.LayersModel): number {
  const shape = model.outputs[0]!.shape;
  const classes = shape[shape.length - 1];
  if (shape.length !== 2 || typeof classes !== 'number') {
    throw new EngineFailure('unsupported', `the model output has shape [${shape.join(', ')}]; Quench evaluates classifiers with output [batch, classes]`);
  }
  return classes;
}
