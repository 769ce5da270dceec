// Hand edits of a model's weights for the structured-removal tests: read one weight, rewrite it,
// zero chosen channels along an axis. Layers are found by graph id (nested models included).
import * as tf from '@tensorflow/tfjs';
import { layerById } from '../../../src/engine/graph';

/** The weight `name` of layer `id` as a flat copy with its shape. */
export function weight(model: tf.LayersModel, id: string, name: string): { values: Float32Array; shape: number[] } {
  const w = layerById(model, id).weights.find((v) => v.originalName.split('/').pop() === name)!;
  return { values: Float32Array.from(w.read().dataSync()), shape: [...w.shape] as number[] };
}

/** Rewrites weight `name` of layer `id` with `change` applied to a copy of its values. */
export function edit(model: tf.LayersModel, id: string, name: string, change: (values: Float32Array, shape: number[]) => void): void {
  const layer = layerById(model, id);
  const tensors = layer.weights.map((w) => {
    const values = Float32Array.from(w.read().dataSync());
    if (w.originalName.split('/').pop() === name) change(values, w.shape as number[]);
    return tf.tensor(values, w.shape as number[]);
  });
  layer.setWeights(tensors);
  tf.dispose(tensors);
}

/** Zeroes indices `channels` along axis `axis` (negative: from the end) of a weight. */
export function zero(model: tf.LayersModel, id: string, name: string, axis: number, channels: number[]): void {
  edit(model, id, name, (values, shape) => {
    const a = axis < 0 ? shape.length + axis : axis;
    const inner = shape.slice(a + 1).reduce((x, y) => x * y, 1);
    for (let i = 0; i < values.length; i++) if (channels.includes(Math.floor(i / inner) % shape[a]!)) values[i] = 0;
  });
}
