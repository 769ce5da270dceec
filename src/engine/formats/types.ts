// The contract every model format implements (a registry, as netron's readers: cheap match, full open, save).
import type * as tf from '@tensorflow/tfjs';
import type { ModelFormat } from '../../protocol/report';

export interface LoadedModel {
  model: tf.LayersModel;
  format: ModelFormat;
  /** The path the user named (model.json, .h5, .keras or .onnx). */
  path: string;
  /** Every file the model consists of (model.json + shards, the single file, or an .onnx and its external data). */
  files: string[];
  /** What the user should know about how the model was read (e.g. weights were dequantized). */
  notes?: string[];
  /** Class names by output index, from a side file the model carries (not yet checked against the outputs). */
  classNames?: string[];
  /** The file the class names came from. */
  classNamesFile?: string;
  /**
   * The input shape without the batch in the file's own layout, where it differs from the tfjs
   * model's (an ONNX model's [C, H, W], run as [H, W, C] inside).
   */
  inputShape?: number[];
  /** What the format's writer needs to write this model back in its own form (the ONNX graph). */
  source?: unknown;
}

export interface SaveOptions {
  /** Write to a temporary path first and rename into place (always true for user-facing saves). */
  atomic?: boolean;
  /** Files that must never be written (the input model's files); saving onto one throws. */
  protectedFiles?: string[];
  /**
   * The model the saved one was derived from (its layer names kept): a writer for the same format
   * rewrites that file's graph with the new weights and shapes instead of building a new one.
   */
  source?: LoadedModel;
}

export interface ModelFormatHandler {
  id: ModelFormat;
  /** File name endings this format uses, e.g. ['.h5', '.hdf5']. */
  extensions: string[];
  /** Cheap: by name and the first bytes of the file (at most 4 KiB). Never parses weights. */
  match(path: string, head: Uint8Array): boolean;
  open(path: string): Promise<LoadedModel>;
  /** Writes `model` at `path` in this format; returns every file written. */
  save(model: tf.LayersModel, path: string, options?: SaveOptions): Promise<string[]>;
}
