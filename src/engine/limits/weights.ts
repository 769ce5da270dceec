// A model whose weights hold NaN or infinite values computes nothing meaningful, and every
// statistic or pruning decision built on it would be noise: it is refused when opened for a job.
import type * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';

/** Throws 'bad-model' naming the first weight with NaN / infinite values, and how many. */
export function assertFiniteWeights(model: tf.LayersModel, file: string): void {
  for (const weight of model.weights) {
    const values = weight.read().dataSync() as Float32Array;
    let nan = 0;
    let infinite = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) nan++;
      else if (v === Infinity || v === -Infinity) infinite++;
    }
    if (nan + infinite > 0) {
      const what = [nan && `${nan} NaN`, infinite && `${infinite} infinite`].filter(Boolean).join(' and ');
      throw new EngineFailure(
        'bad-model',
        `weight ${weight.originalName} holds ${what} value${nan + infinite === 1 ? '' : 's'} (of ${values.length}); the file is damaged or the training diverged`,
        file,
      );
    }
  }
}
