// The slices of a mixing layer's kernel that belong to one channel group: the out-channel it
// writes (Conv2D/Dense kernel[..., o]; SeparableConv2D pointwise[..., o]) and the in-channel rows
// it reads (kernel[..., r, :]; for SeparableConv2D the depthwise channel r and the pointwise rows
// r·m … r·m+m−1), read from the layer's weights by name, never through the model's variables.
import type * as tf from '@tensorflow/tfjs';

export interface WeightArray {
  values: Float32Array;
  shape: number[];
}

/** A layer's weights by their own name (`kernel`, `bias`, `gamma`, `depthwise_kernel`, ...), copied. */
export type LayerWeights = Map<string, WeightArray>;

export function weightName(variable: tf.LayerVariable): string {
  return variable.originalName.split('/').pop()!.replace(/:\d+$/, '');
}

/** Copies of the layer's weights (read() hands out the variable itself: never disposed here). */
export function readLayerWeights(layer: tf.layers.Layer): LayerWeights {
  return new Map(layer.weights.map((w) => [weightName(w), { values: Float32Array.from(w.read().dataSync()), shape: [...w.shape] as number[] }]));
}

interface MixingKernel {
  taps: number;
  inputs: number;
  outputs: number;
  kernel: Float32Array;
  /** SeparableConv2D: the depthwise kernel [taps, inputs, m] in front of the pointwise kernel. */
  depthwise?: { values: Float32Array; multiplier: number };
}

function mixingKernel(weights: LayerWeights): MixingKernel {
  const pointwise = weights.get('pointwise_kernel');
  const depthwise = weights.get('depthwise_kernel');
  if (pointwise && depthwise) {
    const [, , inputs, multiplier] = depthwise.shape as [number, number, number, number];
    return {
      taps: 1,
      inputs,
      outputs: pointwise.shape[3]!,
      kernel: pointwise.values,
      depthwise: { values: depthwise.values, multiplier },
    };
  }
  const kernel = weights.get('kernel')!;
  const shape = kernel.shape;
  const outputs = shape[shape.length - 1]!;
  const inputs = shape[shape.length - 2]!;
  return { taps: kernel.values.length / (inputs * outputs), inputs, outputs, kernel: kernel.values };
}

/** Whether every weight out-channel `o` takes from the layer's inputs is zero (the bias aside). */
export function writesZero(weights: LayerWeights, o: number): boolean {
  const k = mixingKernel(weights);
  const rows = k.depthwise ? k.inputs * k.depthwise.multiplier : k.inputs;
  for (let a = 0; a < k.taps * rows; a++) if (k.kernel[a * k.outputs + o] !== 0) return false;
  return true;
}

/** Depthwise taps of input r, multiplier j, summed (with `zero` true when all are zero). */
function depthwiseTaps(k: MixingKernel, r: number, j: number): { sum: number; zero: boolean } {
  const { values, multiplier } = k.depthwise!;
  const taps = values.length / (k.inputs * multiplier);
  let sum = 0;
  let zero = true;
  for (let t = 0; t < taps; t++) {
    const v = values[(t * k.inputs + r) * multiplier + j]!;
    sum += v;
    zero &&= v === 0;
  }
  return { sum, zero };
}

function rowZero(k: MixingKernel, row: number, rows: number): boolean {
  for (let t = 0; t < k.taps; t++) {
    const start = (t * rows + row) * k.outputs;
    for (let o = 0; o < k.outputs; o++) if (k.kernel[start + o] !== 0) return false;
  }
  return true;
}

/** Whether nothing of input rows `rows` reaches any output of the layer. */
export function readsZero(weights: LayerWeights, rows: readonly number[]): boolean {
  const k = mixingKernel(weights);
  if (!k.depthwise) return rows.every((r) => rowZero(k, r, k.inputs));
  const m = k.depthwise.multiplier;
  return rows.every((r) => Array.from({ length: m }, (_, j) => j).every((j) => depthwiseTaps(k, r, j).zero || rowZero(k, r * m + j, k.inputs * m)));
}

/** Per output, what a constant 1 on input rows `rows` adds when every tap sees it (no padding). */
export function constantResponse(weights: LayerWeights, rows: readonly number[]): Float64Array {
  const k = mixingKernel(weights);
  const response = new Float64Array(k.outputs);
  const addRow = (row: number, rowCount: number, scale: number): void => {
    for (let t = 0; t < k.taps; t++) {
      const start = (t * rowCount + row) * k.outputs;
      for (let o = 0; o < k.outputs; o++) response[o] += scale * k.kernel[start + o]!;
    }
  };
  for (const r of rows) {
    if (!k.depthwise) addRow(r, k.inputs, 1);
    else for (let j = 0; j < k.depthwise.multiplier; j++) addRow(r * k.depthwise.multiplier + j, k.inputs * k.depthwise.multiplier, depthwiseTaps(k, r, j).sum);
  }
  return response;
}

/**
 * Whether every output position sees all kernel taps, so a constant input adds a constant
 * (Dense, 1×1 kernels, 'valid' padding). With 'same' padding border outputs see fewer taps.
 */
export function seesEveryTap(layer: tf.layers.Layer): boolean {
  const config = layer.getConfig() as Record<string, unknown>;
  const size = config['kernelSize'];
  if (size === undefined) return true;
  const sizes = Array.isArray(size) ? size.map(Number) : [Number(size)];
  return config['padding'] === 'valid' || sizes.every((s) => s === 1);
}
