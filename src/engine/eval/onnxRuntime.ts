// The optional onnxruntime-node: where it loads, ONNX models' accuracy is measured by ONNX Runtime
// on the ONNX graph itself (several times faster than TensorFlow.js here, docs/benchmarks.md §11);
// analysis, masks and training stay on TensorFlow.js. It is looked for by name (the engine's own
// node_modules), then in the QUENCH_EXTRA_MODULES folders (where the extension's "Install ONNX
// Runtime" command puts it). QUENCH_ONNXRUNTIME=off keeps every evaluation on TensorFlow.js.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { EngineInfo } from '../../protocol/engine';
import type { LatencyInfo } from '../../protocol/report';
import { optionalPackageCandidates } from '../backend';
import { throwIfCancelled, type JobContext } from '../core/context';
import { EngineFailure } from '../core/errors';
import type { Dataset } from '../data/types';
import { timeAlternately } from '../prune/latency';
import type { EvaluationResult } from './evaluate';
import { ClassificationTally, looksLikeProbabilities } from './metrics';

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
  loaded ??= loadOnnxRuntime();
  return 'ort' in loaded ? loaded : null;
}

/** What `info` says about it. */
export function onnxRuntimeStatus(): OnnxRuntimeStatus {
  const found = onnxRuntime();
  if (found) return { available: true, version: found.version, from: found.from };
  return { available: false, reason: (loaded as { reason: string }).reason };
}

/** One attempt to load it under `env` (uncached: onnxRuntime() keeps the process's answer). */
export function loadOnnxRuntime(env: NodeJS.ProcessEnv = process.env): LoadedOnnxRuntime | { reason: string } {
  const setting = env[ONNX_RUNTIME_ENV]?.trim().toLowerCase();
  if (setting === 'off' || setting === '0' || setting === 'false') return { reason: `${ONNX_RUNTIME_ENV}=${env[ONNX_RUNTIME_ENV]} turns it off` };
  const errors: string[] = [];
  for (const candidate of optionalPackageCandidates(ONNX_RUNTIME_PACKAGE, env)) {
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

export interface OnnxRuntimeEvalOptions {
  /** Only the first `limit` samples. */
  limit?: number;
  batchSize?: number;
  /**
   * The batch size the graph's input fixes (an export without a dynamic batch axis, often 1): the
   * batches are that size, a shorter last one padded with zeros whose outputs are dropped.
   */
  fixedBatch?: number;
  stage?: string;
  /** The model's input without the batch dimension, in the file's layout ([C, H, W] or [F]). */
  inputShape: number[];
}

/** Threads for ONNX Runtime's intra-op pool: QUENCH_THREADS=1 keeps it to one, else every core. */
function intraOpThreads(): number {
  const asked = Number(process.env['QUENCH_THREADS']);
  return Number.isInteger(asked) && asked >= 1 ? asked : os.availableParallelism();
}

/** A CPU session with every graph optimisation, on the threads intraOpThreads() allows. */
function createSession(runtime: LoadedOnnxRuntime, model: string | Uint8Array): Promise<OrtSession> {
  return runtime.ort.InferenceSession.create(model, { intraOpNumThreads: intraOpThreads(), interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
}

/**
 * Top-1/top-5/loss and the confusion matrix of an ONNX model (a file, or the bytes of one) on a
 * dataset, run by ONNX Runtime. The dataset's batches are NHWC (as TensorFlow.js runs); they are
 * fed in the file's NCHW layout. Throws EngineFailure('backend') when ONNX Runtime cannot run it.
 */
export async function evaluateWithOnnxRuntime(
  runtime: LoadedOnnxRuntime,
  model: string | Uint8Array,
  dataset: Dataset,
  ctx: JobContext,
  options: OnnxRuntimeEvalOptions,
): Promise<EvaluationResult> {
  const started = performance.now();
  const end = Math.min(dataset.size, options.limit ?? dataset.size);
  const batchSize = options.fixedBatch ?? options.batchSize ?? 256;
  const stage = options.stage ?? 'evaluate';
  let session: OrtSession;
  try {
    session = await createSession(runtime, model);
  } catch (error) {
    throw new EngineFailure('backend', `ONNX Runtime ${runtime.version} cannot load the model: ${firstLine(error)}`);
  }
  try {
    if (session.inputNames.length !== 1) throw new EngineFailure('backend', `ONNX Runtime sees ${session.inputNames.length} graph inputs; Quench evaluates single-input classifiers`);
    const [input] = session.inputNames;
    const [output] = session.outputNames;
    let tally: ClassificationTally | undefined;
    let probabilities: boolean | undefined;
    let done = 0;
    for await (const batch of dataset.batches({ batchSize, start: 0, end })) {
      throwIfCancelled(ctx);
      const n = batch.y.length;
      // NHWC → the file's NCHW; the values are read out, so no tensor outlives the batch.
      const held = batch.x.rank === 4 && options.inputShape.length === 3 ? tf.transpose(batch.x, [0, 3, 1, 2]) : batch.x;
      let x: Float32Array;
      try {
        x = (await held.data()) as Float32Array;
      } finally {
        if (held !== batch.x) held.dispose();
        batch.x.dispose();
      }
      let result: Record<string, OrtTensor>;
      try {
        const rows = options.fixedBatch ?? n;
        if (rows > n) {
          const padded = new Float32Array((x.length / n) * rows);
          padded.set(x);
          x = padded;
        }
        result = await session.run({ [input!]: new runtime.ort.Tensor('float32', x, [rows, ...options.inputShape]) });
      } catch (error) {
        throw new EngineFailure('backend', `ONNX Runtime ${runtime.version} failed on a batch of ${n}: ${firstLine(error)}`);
      }
      const out = result[output!]!;
      const classes = out.dims[out.dims.length - 1]!;
      if (out.dims.length !== 2 || out.dims[0] !== (options.fixedBatch ?? n)) throw new EngineFailure('backend', `ONNX Runtime's output has shape [${out.dims.join(', ')}], not [${options.fixedBatch ?? n}, classes]`);
      if (classes < dataset.classes) throw new EngineFailure('mismatch', `the model has ${classes} outputs, the dataset ${dataset.classes} classes`, dataset.info.path);
      tally ??= new ClassificationTally(classes);
      const values = (out.data as Float32Array).subarray(0, n * classes);
      probabilities ??= looksLikeProbabilities(values, classes);
      tally.add(values, batch.y, probabilities);
      done += n;
      const elapsed = (performance.now() - started) / 1000;
      ctx.progress({ stage, step: done, steps: end, fraction: done / end, etaSeconds: (elapsed / done) * (end - done) });
    }
    if (!tally) throw new EngineFailure('bad-data', 'no samples to evaluate', dataset.info.path);
    return { accuracy: tally.result(), confusion: tally.confusion, seconds: (performance.now() - started) / 1000, threads: intraOpThreads() };
  } finally {
    await session.release().catch(() => undefined);
  }
}

/**
 * Median (and fastest) milliseconds per ONNX Runtime run of two ONNX files on the same random
 * batch, for each batch size, timed alternately as prune/latency.ts times TensorFlow.js models.
 * `fixedBatch`: a graph input that fixes its batch size allows only that one.
 */
export async function onnxRuntimeLatency(
  runtime: LoadedOnnxRuntime,
  before: string,
  after: string,
  inputShape: number[],
  options: { batches?: number[]; runs?: number; warmup?: number; fixedBatch?: number } = {},
): Promise<LatencyInfo[]> {
  const sessions: OrtSession[] = [];
  try {
    sessions.push(await createSession(runtime, before), await createSession(runtime, after));
    const [first, second] = sessions as [OrtSession, OrtSession];
    const result: LatencyInfo[] = [];
    for (const batch of options.fixedBatch ? [options.fixedBatch] : (options.batches ?? [1, 64])) {
      const data = new Float32Array(batch * inputShape.reduce((a, b) => a * b, 1));
      let seed = 17;
      for (let i = 0; i < data.length; i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        data[i] = seed / 4294967296;
      }
      const timed = (s: OrtSession) => async (): Promise<number> => {
        const start = performance.now();
        await s.run({ [s.inputNames[0]!]: new runtime.ort.Tensor('float32', data, [batch, ...inputShape]) });
        return performance.now() - start;
      };
      result.push({ batch, runtime: `onnxruntime-node ${runtime.version}`, ...(await timeAlternately(timed(first), timed(second), options.runs ?? 7, options.warmup ?? 2)) });
    }
    return result;
  } catch (error) {
    throw new EngineFailure('backend', `ONNX Runtime ${runtime.version} could not time the models: ${firstLine(error)}`);
  } finally {
    for (const s of sessions) await s.release().catch(() => undefined);
  }
}
