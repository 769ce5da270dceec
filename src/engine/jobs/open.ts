// The load step of every job built on the pipeline: backend, model, evaluation and training data,
// the report's base fields and the model graph, as one JobState (pipeline/state.ts). It lives
// with the jobs because it reads the files through their shared loaders (common.ts).
import type { BackendName, ReportBase, ReportKind } from '../../protocol/report';
import { initBackend } from '../backend';
import type { Dataset } from '../data/types';
import type { LoadedModel } from '../formats';
import { modelGraph } from '../sfp/graph';
import type { JobContext } from '../core/context';
import { JobProgress, type PlannedStep } from '../pipeline/progress';
import { Evaluator } from '../pipeline/evaluator';
import { failReadably } from '../pipeline/sfp';
import type { JobState } from '../pipeline/state';
import { openTrainingData } from './analyze';
import { disposeModel, loadDatasetForModel, loadModelForJob, reportBase, Stopwatch } from './common';

export interface JobInputs {
  model: string;
  data: string;
  limit?: number;
  trainData?: string;
  finetune?: { trainData?: string };
}

export interface OpenedJob<K extends ReportKind> extends JobState {
  readonly watch: Stopwatch;
  readonly backend: BackendName;
  readonly base: ReportBase & { kind: K };
  /** Closes the datasets and disposes the model. */
  close(): void;
}

/**
 * Opens a job: `onModel` runs once the model is loaded and before any data is read (the prune
 * job claims its output and checks --format there); a failure after loading disposes everything.
 */
export async function openJob<K extends ReportKind>(
  kind: K,
  inputs: JobInputs,
  outer: JobContext,
  plan: PlannedStep[],
  onModel?: (loaded: LoadedModel) => void,
): Promise<OpenedJob<K>> {
  const job = new JobProgress(outer, plan);
  const ctx = job.ctx;
  const watch = new Stopwatch();
  job.enter('load');
  const backend = await initBackend();
  const loaded = await loadModelForJob(inputs.model, ctx);
  const opened: Dataset[] = [];
  const close = () => {
    opened.forEach((d) => d.close?.());
    disposeModel(loaded);
  };
  try {
    onModel?.(loaded);
    watch.lap('load');
    const notes: string[] = [];
    const data = await loadDatasetForModel(inputs.data, loaded, { limit: inputs.limit });
    opened.push(data);
    if (data.info.note) notes.push(data.info.note);
    const train = await openTrainingData(inputs.finetune?.trainData ?? inputs.trainData, inputs.data, loaded, notes);
    if (train) opened.push(train);
    watch.lap('read-data');
    const base = await reportBase(kind, loaded, backend);
    // The model's own notes (dequantized weights, a metadata.json that could not be used) come first.
    notes.unshift(...base.notes);
    const graph = failReadably(loaded, () => modelGraph(loaded.model));
    notes.push(...graph.notes);
    const evaluator = new Evaluator(loaded, notes, base);
    return { job, ctx, watch, notes, backend, loaded, model: loaded.model, data, train, graph, base, evaluator, close };
  } catch (error) {
    close();
    throw error;
  }
}
