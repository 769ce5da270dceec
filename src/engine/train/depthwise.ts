// DepthwiseConv2D with a hand-written gradient. The wasm backend has a fast (XNNPACK) forward
// depthwise convolution but neither of its backprop kernels, so both gradients are written as
// forward depthwise convolutions: dX is dY (dilated by the stride) convolved with the flipped
// kernel, summed over the depth multiplier; dW is the padded input with batch and channels
// folded into the channels, convolved with dY used as the filter (dilated by the stride).
import * as tf from '@tensorflow/tfjs';
import { samePadding, spreadToInput, withConvGradients, type ConvGeometry } from './convolution';

/** Depthwise conv + bias, NHWC, kernel [kh, kw, in, multiplier]: out-channel c·m + k reads in-channel c. */
export function depthwiseConv2dWithBias(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  geometry: ConvGeometry,
): tf.Tensor4D {
  const { strides, padding } = geometry;
  const forward = (input: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor4D =>
    tf.fused.depthwiseConv2d({ x: input, filter: w, strides, pad: padding, bias: b });
  const gradients = (dy: tf.Tensor4D, input: tf.Tensor4D, w: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] => [
    geometry.inputGradient ? inputGradient(dy, input.shape, w, geometry) : tf.zeros(input.shape),
    geometry.kernelGradient === false ? tf.zeros(w.shape) : kernelGradient(dy, input, w.shape, geometry),
  ];

  return withConvGradients(x, kernel, bias, forward, gradients);
}

function paddingOf(shape: number[], kernel: number[], geometry: ConvGeometry): [[number, number], [number, number]] {
  if (geometry.padding === 'valid') return [[0, 0], [0, 0]];
  return [samePadding(shape[1], kernel[0], geometry.strides[0]), samePadding(shape[2], kernel[1], geometry.strides[1])];
}

/** dX[n,y,x,c] = Σ_{i,j,k} dY[n, (y+pt−i)/s, (x+pl−j)/s, c·m+k] · W[i,j,c,k] (where the division is exact). */
function inputGradient(dy: tf.Tensor4D, inShape: number[], w: tf.Tensor4D, geometry: ConvGeometry): tf.Tensor4D {
  const [n, h, wd, c] = inShape;
  const [kh, kw, , m] = w.shape;
  const [sh, sw] = geometry.strides;
  const [[padTop], [padLeft]] = paddingOf(inShape, w.shape, geometry);
  const padded = spreadToInput(dy, [h, wd], [sh, sw], [padTop, padLeft], [kh, kw]);
  const flipped = tf.reshape(tf.reverse(w, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
  const perOutput = tf.depthwiseConv2d(padded, flipped, 1, 'valid');
  return m === 1 ? perOutput : (tf.sum(tf.reshape(perOutput, [n, h, wd, c, m]), 4) as tf.Tensor4D);
}

/** dW[i,j,c,k] = Σ_{n,y,x} Xpad[n, s·y+i, s·x+j, c] · dY[n,y,x,c·m+k]. */
function kernelGradient(dy: tf.Tensor4D, input: tf.Tensor4D, kernelShape: number[], geometry: ConvGeometry): tf.Tensor4D {
  const [n, , , c] = input.shape;
  const [kh, kw, , m] = kernelShape;
  const [, oh, ow] = dy.shape;
  const [padRows, padColumns] = paddingOf(input.shape, kernelShape, geometry);
  const xPadded = tf.pad(input, [[0, 0], padRows, padColumns, [0, 0]]);
  const [, hp, wp] = xPadded.shape;
  // Batch folded into the channels: channel n·C + c of one image, each with its own filter.
  const xs = tf.reshape(tf.transpose(xPadded, [1, 2, 0, 3]), [1, hp, wp, n * c]) as tf.Tensor4D;
  const filters = tf.reshape(tf.transpose(tf.reshape(dy, [n, oh, ow, c, m]), [1, 2, 0, 3, 4]), [oh, ow, n * c, m]) as tf.Tensor4D;
  let perImage = tf.depthwiseConv2d(xs, filters, 1, 'valid', 'NHWC', geometry.strides);
  if (perImage.shape[1] !== kh || perImage.shape[2] !== kw) perImage = tf.slice(perImage, [0, 0, 0, 0], [1, kh, kw, n * c * m]);
  return tf.reshape(tf.sum(tf.reshape(perImage, [kh, kw, n, c * m]), 2), [kh, kw, c, m]) as tf.Tensor4D;
}
