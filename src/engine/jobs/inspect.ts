// `inspect`: per-layer parameters, zeros, sparsity, filters and MACs, plus totals and file sizes.
import type { InspectParams } from '../../protocol/engine';
import type { InspectReport } from '../../protocol/report';
import { initBackend } from '../backend';
import { modelTotals } from '../stats';
import { disposeModel, loadModelForJob, reportBase, reportLayerStats, Stopwatch } from './common';
import { throwIfCancelled, type JobContext } from '../core/context';

export async function inspectJob(params: InspectParams, ctx: JobContext): Promise<InspectReport> {
  const watch = new Stopwatch();
  const backend = await initBackend();
  const loaded = await loadModelForJob(params.model, ctx);
  try {
    watch.lap('load');
    throwIfCancelled(ctx);
    const base = await reportBase('inspect', loaded, backend);
    const layers = reportLayerStats(loaded);
    const totals = await modelTotals(loaded.model, loaded.files, layers);
    watch.lap('statistics');
    const notes = [...base.notes, ...layers.filter((l) => !l.analysable).map((l) => `${l.name} (${l.className}) is not analysable${l.note ? `: ${l.note}` : ''}.`)];
    return { ...base, layers, totals, timings: watch.timings(), notes };
  } finally {
    disposeModel(loaded);
  }
}
