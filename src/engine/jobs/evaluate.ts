// `evaluate`: accuracy (top-1, top-5, per class), loss and the confusion matrix on a dataset.
import type { EvalParams } from '../../protocol/engine';
import type { EvalReport } from '../../protocol/report';
import { initBackend } from '../backend';
import { Evaluator } from '../pipeline/evaluator';
import { modelTotals } from '../stats';
import { disposeModel, loadDatasetForModel, loadModelForJob, reportBase, reportLayerStats, Stopwatch } from './common';
import { throwIfCancelled, type JobContext } from '../core/context';

export async function evaluateJob(params: EvalParams, ctx: JobContext): Promise<EvalReport> {
  const watch = new Stopwatch();
  const backend = await initBackend();
  const loaded = await loadModelForJob(params.model, ctx);
  try {
    watch.lap('load');
    ctx.progress({ stage: 'load-data', message: 'Reading the dataset' });
    const dataset = await loadDatasetForModel(params.data, loaded, { limit: params.limit });
    try {
      watch.lap('read-data');
      throwIfCancelled(ctx);
      const base = await reportBase('eval', loaded, backend);
      const layers = reportLayerStats(loaded);
      const totals = await modelTotals(loaded.model, loaded.files, layers);
      watch.lap('statistics');
      const measured: string[] = [];
      const { accuracy, confusion, threads } = await new Evaluator(loaded, measured, base).evaluate(loaded.model, dataset, ctx, { asLoaded: true });
      const seconds = watch.lap('evaluate');
      ctx.log('info', `Evaluated ${accuracy.samples} samples in ${seconds.toFixed(2)} s (${Math.round(accuracy.samples / seconds)} samples/s, ${base.evaluatedBy ?? backend}, ${threads === 1 ? 'one thread' : `${threads} threads`}).`);
      // The model's notes, less what the data's note already says (class names that do not fit).
      const notes = [...base.notes.filter((n) => !dataset.info.note?.includes(n)), ...(dataset.info.note ? [dataset.info.note] : []), ...measured];
      return { ...base, dataset: dataset.info, layers, totals, accuracy, confusion, timings: watch.timings(), notes };
    } finally {
      dataset.close?.();
    }
  } finally {
    disposeModel(loaded);
  }
}
