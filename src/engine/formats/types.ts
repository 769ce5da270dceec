// The contract every model format implements (a registry, as netron's readers: cheap match, full open, save).
import type * as tf from '@tensorflow/tfjs';
import type { ModelFormat } from '../../protocol/report';

export interface LoadedModel {
  model: tf.LayersModel;
  format: ModelFormat;
  /** The path the user named (model.json, .h5 or .keras). */
  path: string;
  /** Every file the model consists of (model.json + shards, or the single file). */
  files: string[];
  /** What the user should know about how the model was read (e.g. weights were dequantized). */
  notes?: string[];
}

export interface SaveOptions {
  /** Write to a temporary path first and rename into place (always true for user-facing saves). */
  atomic?: boolean;
  /** Files that must never be written (the input model's files); saving onto one throws. */
  protectedFiles?: string[];
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
