// A new ONNX graph for a model that was not read from ONNX (Keras / TF.js → ONNX).
import type * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../../core/errors';

export function exportOnnx(model: tf.LayersModel, file: string): Uint8Array {
  throw new EngineFailure('unsupported', `converting ${model.name} to ONNX is not available yet`, file);
}
