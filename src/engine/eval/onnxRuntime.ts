// The optional onnxruntime-node: where it loads, ONNX models' accuracy is measured by ONNX Runtime
// on the ONNX graph itself (several times faster than TensorFlow.js here, docs/benchmarks.md §11);
// analysis, masks and training stay on TensorFlow.js. It is looked for by name (the engine's own
// node_modules), then in the QUENCH_EXTRA_MODULES folders (where the extension's "Install ONNX
// Runtime" command puts it). QUENCH_ONNXRUNTIME=off keeps every evaluation on TensorFlow.js.
import { createRequire } from 'node:module';
import type { EngineInfo } from '../../protocol/engine';
import { optionalPackageCandidates } from '../backend';

export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';
export const ONNX_RUNTIME_ENV = 'QUENCH_ONNXRUNTIME';

/** The parts of onnxruntime-node's API Quench uses. */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: {
    create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; common?: string } };
}

export type OnnxRuntimeStatus = EngineInfo['onnxRuntime'];
export interface LoadedOnnxRuntime {
  ort: OrtModule;
  version: string;
  /** Where it was loaded from (the package name or an absolute folder). */
  from: string;
}

const runtimeRequire = createRequire(__filename);
let loaded: LoadedOnnxRuntime | { reason: string } | undefined;

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** Loads onnxruntime-node once per process; null where it is off or not installed. */
export function onnxRuntime(): LoadedOnnxRuntime | null {
  loaded ??= load();
  return 'ort' in loaded ? loaded : null;
}

/** What `info` says about it. */
export function onnxRuntimeStatus(): OnnxRuntimeStatus {
  const found = onnxRuntime();
  if (found) return { available: true, version: found.version, from: found.from };
  return { available: false, reason: (loaded as { reason: string }).reason };
}

function load(): LoadedOnnxRuntime | { reason: string } {
  const setting = process.env[ONNX_RUNTIME_ENV]?.trim().toLowerCase();
  if (setting === 'off' || setting === '0' || setting === 'false') return { reason: `${ONNX_RUNTIME_ENV}=${process.env[ONNX_RUNTIME_ENV]} turns it off` };
  const errors: string[] = [];
  for (const candidate of optionalPackageCandidates(ONNX_RUNTIME_PACKAGE)) {
    try {
      const ort = runtimeRequire(candidate) as OrtModule;
      if (typeof ort.InferenceSession?.create !== 'function') {
        errors.push(`${candidate}: loaded, but it has no InferenceSession`);
        continue;
      }
      const version = ort.env?.versions?.node ?? ort.env?.versions?.common ?? 'unknown';
      return { ort, version, from: candidate };
    } catch (error) {
      const message = firstLine(error);
      // Not installed at this place is the ordinary case; anything else (a missing dependency, a
      // binary for another platform) is worth saying.
      if (!message.includes(`Cannot find module '${candidate}'`)) errors.push(`${candidate}: ${message}`);
    }
  }
  return { reason: errors.length ? `not loadable: ${errors.join('; ')}` : `${ONNX_RUNTIME_PACKAGE} is not installed` };
}
