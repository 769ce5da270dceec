// BatchNorm in training mode with a hand-written gradient. tfjs's own gradient of batchNorm and
// moments broadcasts with Tile and reduces over the outer axes, which dominated a training step
// on wasm; here every reduction over the N·H·W rows is an average pooling over H×W and a small
// matMul over N, and every per-channel scale and shift a 1×1 depthwise convolution with a bias
// (all XNNPACK). The normalised x̂ is
// never stored: the backward pass works from x − μ and 1/σ.
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
  // NHWC as it is; features [rows, C] as one image one pixel high.
  const [n, h, w] = x.rank === 4 ? x.shape : [1, 1, rows];
  const view: [number, number, number, number] = [n!, h!, w!, channels];
  // Σ over N·H·W per channel: a whole-image average pooling, then the N images through a [1,N]×[N,C]
  // matMul. (A [1,M]×[M,C] matMul packs its whole right operand, new on every call: 3–5 ms a layer.)
  const columnSum = (m: tf.Tensor4D) => tf.mul(tf.matMul(tf.ones([1, n!]), tf.reshape(tf.avgPool(m, [h!, w!], 1, 'valid'), [n!, channels])), h! * w!);
  const op = tf.customGrad((input, g, b, save) => {
    const x4 = tf.reshape(input as tf.Tensor, view) as tf.Tensor4D;
    const mean = tf.div(columnSum(x4), rows);
    const centered = perChannel(x4, null, tf.neg(mean));
    const variance = tf.div(columnSum(tf.square(centered) as tf.Tensor4D), rows);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    (save as unknown as SaveTensors)([centered, invStd, g as tf.Tensor]);
    onMoments({ mean: tf.keep(tf.reshape(mean, [channels])), variance: tf.keep(tf.reshape(variance, [channels])) });
    return {
      value: tf.reshape(perChannel(centered, tf.mul(invStd, g as tf.Tensor), b as tf.Tensor), shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xc, inv, g0] = saved as [tf.Tensor4D, tf.Tensor, tf.Tensor];
        const dy4 = tf.reshape(dy, view) as tf.Tensor4D;
        const dBeta = columnSum(dy4);
        const dGamma = tf.mul(columnSum(tf.mul(dy4, xc) as tf.Tensor4D), inv);
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − μ)/σ:  dy·a + (x − μ)·c + d per channel.
        const a = tf.mul(inv, g0);
        const c = tf.neg(tf.mul(tf.mul(a, inv), tf.div(dGamma, rows)));
        const d = tf.neg(tf.mul(a, tf.div(dBeta, rows)));
        const dx = tf.add(perChannel(dy4, a, d), perChannel(xc, c, null));
        return [tf.reshape(dx, shape), tf.reshape(dGamma, [channels]), tf.reshape(dBeta, [channels])];
      },
    };
  });
  // A stand-in γ = 1 or β = 0 is saved for the backward pass: the caller's scope (tidy, minimize) frees it.
  return op(x, scale, offset);
}

/**
 * x·scale + shift per channel (scale null: 1; shift null: 0) as a 1×1 depthwise convolution with a
 * bias: one XNNPACK operator, where tfjs's broadcasting Mul and Add run element by element.
 */
function perChannel(x: tf.Tensor4D, scale: tf.Tensor | null, shift: tf.Tensor | null): tf.Tensor4D {
  const channels = x.shape[3];
  const filter = tf.reshape(scale ?? tf.ones([channels]), [1, 1, channels, 1]) as tf.Tensor4D;
  // A copy, not a reshape: wasm checks the bias's stored shape, which a reshape of a [1, C] row keeps.
  return tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'valid', bias: shift ? tf.clone(tf.reshape(shift, [channels])) : undefined });
}
