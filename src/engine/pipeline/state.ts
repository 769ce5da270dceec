// The state a job's steps share: the loaded model (changed in place by apply, recalibrate and
// fine-tune), the evaluation and training data, the model graph, notes, timings and progress.
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import type { LoadedModel } from '../formats';
import type { ModelGraph } from '../sfp/graph';
import type { JobContext } from '../core/context';
import type { Evaluator } from './evaluator';
import type { JobProgress } from './progress';

export interface JobState {
  /** The job-level progress: `job.enter(step)` before each planned step. */
  readonly job: JobProgress;
  /** The context a step's own work reports through (its fractions land in the step's share). */
  readonly ctx: JobContext;
  /** Closes the stage that ran since the last lap (the report's timings). */
  readonly watch: { lap(stage: string): number };
  readonly notes: string[];
  readonly loaded: LoadedModel;
  readonly model: tf.LayersModel;
  readonly data: Dataset;
  /** Training data (named, or found beside the evaluation data); null where there is none. */
  readonly train: Dataset | null;
  readonly graph: ModelGraph;
  /** Who measures accuracy (ONNX Runtime for an ONNX model where it is installed); TensorFlow.js when absent. */
  readonly evaluator?: Evaluator;
}
