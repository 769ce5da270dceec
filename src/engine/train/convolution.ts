// Conv2D with a hand-written gradient. The wasm backend has no Conv2DBackpropFilter and a slow
// Conv2DBackpropInput, but a fast (XNNPACK) forward Conv2D, so both gradients are written as
// forward convolutions: dX is dY (spread out by the stride) convolved with the flipped,
// in/out-swapped kernel — for a 1×1 kernel the convolution runs before the spreading, on the
// small dY; dW is the padded input with batch and channels swapped, convolved with dY used as
// the filter.
import * as tf from '@tensorflow/tfjs';

type SaveTensors = (tensors: tf.Tensor[]) => void;

export interface ConvGeometry {
  strides: [number, number];
  padding: 'same' | 'valid';
  /** False where nothing before the layer trains: its input gradient is never used. */
  inputGradient: boolean;
  /** False for a frozen kernel (default true): its gradient is never used. */
  kernelGradient?: boolean;
}

/** TF's SAME padding for one spatial axis: [before, after]. */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Conv2D + bias, NHWC, kernel [kh, kw, in, out], with the wasm-friendly gradient above. */
export function conv2dWithBias(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  geometry: ConvGeometry,
): tf.Tensor4D {
  const { strides, padding } = geometry;
  const [kh, kw] = kernel.shape;
  const forward = (input: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor4D =>
    tf.fused.conv2d({ x: input, filter: w, strides, pad: padding, bias: b });

  const gradients = (dy: tf.Tensor4D, input: tf.Tensor4D, w: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] => {
    const [n, h, wd, c] = input.shape;
    const [padTop, padBottom] = padding === 'same' ? samePadding(h, kh, strides[0]) : [0, 0];
    const [padLeft, padRight] = padding === 'same' ? samePadding(wd, kw, strides[1]) : [0, 0];
    const unitStride = strides[0] === 1 && strides[1] === 1;
    let dx: tf.Tensor4D;
    if (!geometry.inputGradient) {
      dx = tf.zeros([n, h, wd, c]);
    } else if (unitStride) {
      const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      const dyPadded = tf.pad(dy, [[0, 0], [kh - 1 - padTop, kh - 1 - padBottom], [kw - 1 - padLeft, kw - 1 - padRight], [0, 0]]);
      dx = tf.conv2d(dyPadded, flipped, 1, 'valid');
    } else if (kh === 1 && kw === 1) {
      // Each input position feeds at most one output through one tap: mix channels, then place.
      const mixed = tf.conv2d(dy, tf.transpose(w, [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
      dx = spreadToInput(mixed, [h, wd], strides, [padTop, padLeft], [1, 1]);
    } else {
      const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      dx = tf.conv2d(spreadToInput(dy, [h, wd], strides, [padTop, padLeft], [kh, kw]), flipped, 1, 'valid');
    }
    if (geometry.kernelGradient === false) return [dx, tf.zeros(w.shape)];
    // dW[i,j,c,f] = Σ_{n,y,x} Xpad[n, s·y+i, s·x+j, c] · dY[n,y,x,f]: a dilated valid conv with
    // channels as the batch and the batch as the channels.
    const xPadded = tf.pad(input, [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]]);
    const xt = tf.transpose(xPadded, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    let dwt = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', strides);
    if (dwt.shape[1] !== kh || dwt.shape[2] !== kw) dwt = tf.slice(dwt, [0, 0, 0, 0], [c, kh, kw, dwt.shape[3]]);
    return [dx, tf.transpose(dwt, [1, 2, 0, 3]) as tf.Tensor4D];
  };

  return withConvGradients(x, kernel, bias, forward, gradients);
}

/**
 * The gradient of a strided convolution's output laid back on its input grid: dY's rows and
 * columns `stride` apart with zeros between (the positions the strided pass skipped), padded so a
 * valid `kernel`-sized convolution with the flipped kernel gives the input's [h, w] (for a 1×1
 * kernel, the already mixed dY lands exactly on the input positions it came from).
 */
export function spreadToInput(dy: tf.Tensor4D, [h, w]: [number, number], [sh, sw]: [number, number], [padTop, padLeft]: [number, number], [kh, kw]: [number, number]): tf.Tensor4D {
  const [n, oh, ow, channels] = dy.shape;
  // Each row (column) followed by stride − 1 zero rows: the grid ends stride − 1 rows past the last one.
  const grid = sh > 1 || sw > 1
    ? tf.reshape(tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, channels]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]), [n, oh * sh, ow * sw, channels]) as tf.Tensor4D
    : dy;
  const top = kh - 1 - padTop;
  const left = kw - 1 - padLeft;
  const bottom = h + kh - 1 - oh * sh - top;
  const right = w + kw - 1 - ow * sw - left;
  // A negative side (rows the pass never read, a 1×1 kernel's padding, the grid's trailing zeros) is a crop.
  const padded = top > 0 || bottom > 0 || left > 0 || right > 0
    ? tf.pad(grid, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]])
    : grid;
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return padded;
  const [, ph, pw] = padded.shape;
  const [cutTop, cutBottom, cutLeft, cutRight] = [top, bottom, left, right].map((side) => Math.max(-side, 0));
  return tf.slice(padded, [0, cutTop, cutLeft, 0], [n, ph - cutTop - cutBottom, pw - cutLeft - cutRight, channels]);
}

/**
 * A convolution-like op (x [N, H, W, C] with a 4-D kernel and an optional bias) whose gradients
 * come from `gradients` rather than tfjs's kernels (which the wasm backend lacks); the bias's
 * gradient is the sum of dy over batch and positions.
 */
export function withConvGradients(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null | undefined,
  forward: (input: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D) => tf.Tensor4D,
  gradients: (dy: tf.Tensor4D, input: tf.Tensor4D, w: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D],
): tf.Tensor4D {
  if (bias) {
    const op = tf.customGrad((input, w, b, save) => {
      (save as unknown as SaveTensors)([input as tf.Tensor4D, w as tf.Tensor4D]);
      return {
        value: forward(input as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [dx, dw] = gradients(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D);
          return [dx, dw, tf.sum(dy, [0, 1, 2])];
        },
      };
    });
    return op(x, kernel, bias) as tf.Tensor4D;
  }
  const op = tf.customGrad((input, w, save) => {
    (save as unknown as SaveTensors)([input as tf.Tensor4D, w as tf.Tensor4D]);
    return {
      value: forward(input as tf.Tensor4D, w as tf.Tensor4D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gradients(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D),
    };
  });
  return op(x, kernel) as tf.Tensor4D;
}
