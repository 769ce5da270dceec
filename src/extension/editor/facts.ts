// Layer facts of one model for the editor features: the engine's `inspect` (shared InspectCache)
// and the model's latest prune report from the RunStore. Lenses ask on every edit, so the parsed
// prune reports are kept by run id (a stored report never changes).
import type { PruneReport } from '../../protocol/report';
import type { InspectCache } from '../models/inspectCache';
import type { RunStoreApi } from '../services';
import type { LayerFacts, ModelFacts } from './layerText';

const KEPT_REPORTS = 16;

export class ModelFactsSource {
  private readonly reports = new Map<string, Promise<PruneReport | undefined>>();

  constructor(
    private readonly inspect: InspectCache,
    private readonly runs: RunStoreApi,
  ) {}

  async facts(modelPath: string): Promise<ModelFacts | undefined> {
    const report = await this.inspect.get(modelPath).catch(() => undefined);
    const runId = await this.latestPrune(modelPath);
    const last = runId ? await this.pruneReport(runId) : undefined;
    if (!report && !last) return undefined;
    const layers = new Map<string, LayerFacts>();
    for (const l of report?.layers ?? []) layers.set(l.name, { inspect: l });
    for (const l of last?.layers ?? []) layers.set(l.name, { ...layers.get(l.name), pruned: l });
    return {
      modelPath,
      layers,
      method: last?.method,
      accuracyDelta: last ? last.accuracy.after.top1 - last.accuracy.before.top1 : undefined,
      totals: report ? { layers: report.layers.length, params: report.totals.params } : undefined,
    };
  }

  /** The id of the model's newest prune run, if any (a later inspect or eval run does not hide it). */
  async latestPrune(modelPath: string): Promise<string | undefined> {
    const list = await this.runs.list(modelPath).catch(() => []);
    return list.find((r) => r.kind === 'prune')?.id;
  }

  private pruneReport(runId: string): Promise<PruneReport | undefined> {
    let report = this.reports.get(runId);
    if (!report) {
      report = this.runs.read(runId).then(
        (r) => (r.kind === 'prune' ? r : undefined),
        () => undefined,
      );
      this.reports.set(runId, report);
      if (this.reports.size > KEPT_REPORTS) this.reports.delete(this.reports.keys().next().value!);
    }
    return report;
  }
}
