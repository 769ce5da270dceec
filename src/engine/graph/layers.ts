// Finding a layer by its graph id (`base/conv2d`: nested model names, then the layer's own name),
// the key masks, report rows and training use for layers inside nested models.
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';

/** The layer a graph node id names; a top-level layer's id is its name. */
export function layerById(model: tf.LayersModel, id: string): tf.layers.Layer {
  let layer: tf.layers.Layer = model;
  const parts = id.split('/');
  for (const [i, name] of parts.entries()) {
    if (!(layer instanceof tf.LayersModel)) throw new EngineFailure('mismatch', `the model has no layer "${id}": "${parts.slice(0, i).join('/')}" is not a nested model`);
    const container: tf.LayersModel = layer;
    const found = container.layers.find((l) => l.name === name);
    if (!found) throw new EngineFailure('mismatch', `the model has no layer "${id}"`);
    layer = found;
  }
  return layer;
}

/** Which of a mixing layer's weights is the kernel masks apply to: a SeparableConv2D's pointwise one. */
export function kernelIndexOf(layer: tf.layers.Layer): number {
  return layer.getClassName() === 'SeparableConv2D' ? 1 : 0;
}
