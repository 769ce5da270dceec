// Who measures accuracy in a job. TensorFlow.js by default; for an ONNX model where the optional
// onnxruntime-node loads, ONNX Runtime on the ONNX graph itself — the file as read for the model
// as loaded, else the file's bytes with the job's current weights (masked, re-estimated,
// fine-tuned or restructured), written in memory by the same writer that saves the result. The
// first evaluation that ONNX Runtime cannot run falls back to TensorFlow.js for the rest of the job,
// with a note. The report's `evaluatedBy` names ONNX Runtime once it measured anything.
import type * as tf from '@tensorflow/tfjs';
import type { LatencyInfo, ReportBase } from '../../protocol/report';
import type { Dataset } from '../data/types';
import { evaluate, type EvaluateOptions, type EvaluationResult } from '../eval/evaluate';
import { evaluateWithOnnxRuntime, onnxRuntime, onnxRuntimeLatency, type LoadedOnnxRuntime } from '../eval/onnxRuntime';
import type { LoadedModel } from '../formats';
import { rewriteOnnx } from '../formats/onnx/write';
import { isOnnxSource, type OnnxSource } from '../formats/onnx/source';
import { EngineFailure, JobCancelled } from '../core/errors';
import type { JobContext } from '../core/context';

export class Evaluator {
  private runtime: LoadedOnnxRuntime | null;
  private readonly source: OnnxSource | null;
  /** The batch size the ONNX graph's input fixes, if any. */
  private readonly fixedBatch: number | undefined;

  /**
   * `notes` receives what the report should say; `base` (the report's base fields) gets
   * `evaluatedBy` once ONNX Runtime measured something.
   */
  constructor(
    loaded: LoadedModel,
    private readonly notes: string[],
    private readonly base: Pick<ReportBase, 'evaluatedBy' | 'backend'>,
  ) {
    this.source = loaded.format === 'onnx' && isOnnxSource(loaded.source) ? loaded.source : null;
    this.runtime = this.source ? onnxRuntime() : null;
    this.fixedBatch = this.source ? fixedBatch(this.source) : undefined;
    if (this.runtime && this.source && this.source.external.paths.size > 0) {
      // A session made from bytes cannot find the external data files beside the model.
      this.notes.push(`Accuracy measured by TensorFlow.js, not ONNX Runtime: ${onnxName(this.runtime)} is not given models whose weights are in external data files.`);
      this.runtime = null;
    }
  }

  /**
   * Inference latency of the input file against the ONNX file written from it, by ONNX Runtime;
   * null where ONNX Runtime does not run this job (or cannot time them: a note says so).
   */
  async latency(written: string): Promise<LatencyInfo[] | null> {
    if (!this.runtime || !this.source) return null;
    try {
      return await onnxRuntimeLatency(this.runtime, this.source.file, written, this.source.graph.inputShape, { fixedBatch: this.fixedBatch });
    } catch (error) {
      this.notes.push(`${(error as Error).message.replace(/\.$/, '')}; TensorFlow.js timed them instead.`);
      return null;
    }
  }

  /** Whether ONNX Runtime measures this job's accuracies (until a failure). */
  get usesOnnxRuntime(): boolean {
    return this.runtime !== null;
  }

  /**
   * Accuracy of `model` (the job's model as it is now) on `data`. `asLoaded`: the model still has
   * the weights it was read with, so ONNX Runtime may run the file itself.
   */
  async evaluate(model: tf.LayersModel, data: Dataset, ctx: JobContext, options: EvaluateOptions & { asLoaded?: boolean } = {}): Promise<EvaluationResult> {
    const runtime = this.runtime;
    const source = this.source;
    if (runtime && source) {
      try {
        const bytes = options.asLoaded ? source.file : await rewriteOnnx(model, source, source.file);
        const result = await evaluateWithOnnxRuntime(runtime, bytes, data, ctx, { ...options, inputShape: source.graph.inputShape, fixedBatch: this.fixedBatch });
        if (!this.base.evaluatedBy) {
          this.base.evaluatedBy = onnxName(runtime);
          this.notes.push(
            options.asLoaded
              ? `Accuracy measured by ONNX Runtime (${onnxName(runtime)}, CPU) on the ONNX file.`
              : `Accuracies measured by ONNX Runtime (${onnxName(runtime)}, CPU) on the ONNX graph with the job's weights at each step; the analysis, masks and training ran on TensorFlow.js (${this.base.backend}).`,
          );
        }
        return result;
      } catch (error) {
        // Cancellation and bad data end the job; anything ONNX Runtime (or the in-memory writer)
        // cannot do hands the evaluation to TensorFlow.js.
        if (error instanceof JobCancelled || (error instanceof EngineFailure && error.code !== 'backend' && error.code !== 'unsupported')) throw error;
        this.runtime = null;
        const why = error instanceof Error ? error.message : String(error);
        this.notes.push(`${why.replace(/\.$/, '')}; ${this.base.evaluatedBy ? 'from here on ' : ''}TensorFlow.js measured the accuracy${options.stage ? ` (from ${options.stage})` : ''}.`);
        ctx.log('warn', `ONNX Runtime evaluation failed, TensorFlow.js takes over: ${why}`);
      }
    }
    return evaluate(model, data, ctx, options);
  }
}

function onnxName(runtime: LoadedOnnxRuntime): string {
  return `onnxruntime-node ${runtime.version}`;
}

/** The batch size a graph input fixes (an export without a dynamic batch axis), if any. */
function fixedBatch(source: OnnxSource): number | undefined {
  const initializers = new Set(source.model.graph.initializers.map((t) => t.name));
  const input = source.model.graph.inputs.find((i) => !initializers.has(i.name));
  const first = input?.shape?.[0];
  return typeof first === 'number' && first > 0 ? first : undefined;
}
