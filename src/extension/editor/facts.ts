// Layer facts of one model for the editor features: the engine's `inspect` (shared InspectCache)
// and the model's latest prune report from the RunStore.
import type { PruneReport } from '../../protocol/report';
import type { InspectCache } from '../models/inspectCache';
import type { RunStoreApi } from '../services';
import type { LayerFacts, ModelFacts } from './layerText';

export async function modelFacts(modelPath: string, inspect: InspectCache, runs: RunStoreApi): Promise<ModelFacts | undefined> {
  const report = await inspect.get(modelPath).catch(() => undefined);
  const lastPrune = await latestPrune(modelPath, runs);
  const last = lastPrune ? ((await runs.read(lastPrune).catch(() => undefined)) as PruneReport | undefined) : undefined;
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
export async function latestPrune(modelPath: string, runs: RunStoreApi): Promise<string | undefined> {
  const list = await runs.list(modelPath).catch(() => []);
  return list.find((r) => r.kind === 'prune')?.id;
}
