// What the ONNX writer keeps of a model it read (LoadedModel.source).
import type { ConvertedGraph } from './convert';
import type { OnnxModel } from './proto';
import type { ExternalData } from './tensor';

/** What the ONNX writer keeps of a model it read (LoadedModel.source). */
export interface OnnxSource {
  kind: 'onnx';
  file: string;
  model: OnnxModel;
  graph: ConvertedGraph;
  external: ExternalData;
}

export function isOnnxSource(source: unknown): source is OnnxSource {
  return typeof source === 'object' && source !== null && (source as { kind?: unknown }).kind === 'onnx';
}

