// BatchNorm in training mode with a hand-written gradient. tfjs's own gradient of batchNorm and
// moments broadcasts with Tile and reduces over the outer axes, which dominated a training step
// on wasm; here every reduction over the N·H·W rows is a [1,M]×[M,C] matMul (XNNPACK).
import * as tf from '@tensorflow/tfjs';

type SaveTensors = (tensors: tf.Tensor[]) => void;

export interface BatchMoments {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  epsilon: number,
  onMoments: (moments: BatchMoments) => void,
): tf.Tensor {
  const channels = x.shape[x.shape.length - 1];
  const rows = x.size / channels;
  const shape = x.shape;
  const scale = gamma ?? tf.ones([channels]);
  const offset = beta ?? tf.zeros([channels]);
  const columnSum = (m: tf.Tensor2D) => tf.matMul(tf.ones([1, rows]), m);
  const op = tf.customGrad((input, g, b, save) => {
    const x2 = tf.reshape(input as tf.Tensor, [rows, channels]) as tf.Tensor2D;
    const mean = tf.div(columnSum(x2), rows);
    const centered = tf.sub(x2, mean) as tf.Tensor2D;
    const variance = tf.div(columnSum(tf.square(centered) as tf.Tensor2D), rows);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const normalized = tf.mul(centered, invStd);
    (save as unknown as SaveTensors)([normalized, invStd, g as tf.Tensor]);
    onMoments({ mean: tf.keep(tf.reshape(mean, [channels])), variance: tf.keep(tf.reshape(variance, [channels])) });
    return {
      value: tf.reshape(tf.add(tf.mul(normalized, g as tf.Tensor), b as tf.Tensor), shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, inv, g0] = saved;
        const dy2 = tf.reshape(dy, [rows, channels]) as tf.Tensor2D;
        const dBeta = columnSum(dy2);
        const dGamma = columnSum(tf.mul(dy2, xhat) as tf.Tensor2D);
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))
        const dx = tf.mul(tf.sub(tf.sub(dy2, tf.div(dBeta, rows)), tf.mul(xhat, tf.div(dGamma, rows))), tf.mul(inv, g0));
        return [tf.reshape(dx, shape), tf.reshape(dGamma, [channels]), tf.reshape(dBeta, [channels])];
      },
    };
  });
  const y = op(x, scale, offset);
  if (!gamma) scale.dispose();
  if (!beta) offset.dispose();
  return y;
}
