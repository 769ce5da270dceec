// Batched evaluation of a classifier on a Dataset: top-1/top-5, per-class accuracy, confusion
// matrix, mean cross-entropy. A few batches of outputs held at most; cancellable between
// batches. The forward passes run on an inference copy (BatchNorm and ReLU folded into the
// convolutions) and, for larger evaluations on wasm with a spare core, on two threads (../infer).
import type * as tf from '@tensorflow/tfjs';
import type { AccuracyResult } from '../../protocol/report';
import type { Dataset } from '../data/types';
import { ForwardPass } from '../infer/forwardPass';
import { EngineFailure } from '../core/errors';
import { type JobContext } from '../core/context';
import { ClassificationTally, looksLikeProbabilities } from './metrics';

export interface EvaluateOptions {
  /** Only the first `limit` samples. */
  limit?: number;
  /** Samples per forward pass (256 keeps wasm busy without large buffers). */
  batchSize?: number;
  /** Whether a helper thread may share the batches (default: from HELPER_MIN_SAMPLES samples on). */
  helperThread?: boolean;
  /** Progress stage name (e.g. 'evaluate-before'). */
  stage?: string;
}

export interface EvaluationResult {
  accuracy: AccuracyResult;
  /** confusion[true][predicted] */
  confusion: number[][];
  seconds: number;
  /** Threads that ran the forward passes (2 with the helper thread). */
  threads: number;
}

/**
 * Below this many samples a helper thread costs more to start (its own TensorFlow.js and wasm
 * compile, ~0.5 s) than it saves.
 */
const HELPER_MIN_SAMPLES = 1024;

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
  const classes = outputClasses(model);
  if (classes < dataset.classes) {
    throw new EngineFailure('mismatch', `the model has ${classes} outputs, the dataset ${dataset.classes} classes`, dataset.info.path);
  }
  const tally = new ClassificationTally(classes);
  let probabilities: boolean | undefined;
  let done = 0;
  let threads = 1;
  const pass = new ForwardPass(model, [{ layer: model.outputs[0]!.sourceLayer.name, pool: null, size: classes }]);
  try {
    await pass.prepare(ctx, { helper: options.helperThread ?? end >= HELPER_MIN_SAMPLES });
    threads = pass.threads;
    for await (const batch of pass.rows(dataset, { start: 0, end, batchSize }, ctx)) {
      const outputs = batch.values[0]!;
      probabilities ??= looksLikeProbabilities(outputs, classes);
      tally.add(outputs, batch.labels, probabilities);
      done += batch.labels.length;
      const elapsed = (performance.now() - started) / 1000;
      ctx.progress({ stage, step: done, steps: end, fraction: done / end, etaSeconds: done > 0 ? (elapsed / done) * (end - done) : undefined });
    }
  } finally {
    await pass.close();
  }
  return { accuracy: tally.result(), confusion: tally.confusion, seconds: (performance.now() - started) / 1000, threads };
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
