// The words shown in CodeLens titles and hovers for one layer or one model. Pure.
import type { InspectReport, PruneReport } from '../../protocol/report';
import { formatDelta, formatPercent } from '../models/format';

export interface LayerFacts {
  inspect?: InspectReport['layers'][number];
  pruned?: PruneReport['layers'][number];
}

/** What the editor knows of one model: the engine's inspection and its last prune run. */
export interface ModelFacts {
  modelPath: string;
  layers: Map<string, LayerFacts>;
  /** The last prune run's method and top-1 change (after − before, a fraction). */
  method?: string;
  accuracyDelta?: number;
  /** From the inspection. */
  totals?: { layers: number; params: number };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (f: number) => `${(f * 100).toFixed(1)}%`;

/** "conv5 · 73,856 params", and after a prune run that pruned it "conv5 · 73,856 params · 80% pruned · −0.3 pp". */
export function lensTitle(name: string, facts: LayerFacts, accuracyDelta?: number): string | undefined {
  const l = facts.inspect;
  const p = facts.pruned;
  if (!l && !p) return undefined;
  let title = `${name} · ${int(l?.params ?? p!.before.params)} params`;
  if (p && p.after.sparsity > p.before.sparsity) {
    title += ` · ${formatPercent(p.after.sparsity)} pruned`;
    if (accuracyDelta !== undefined) title += ` · ${formatDelta(accuracyDelta)}`;
  }
  return title;
}

/** "23 layers · 299,744 params · open summary": the one lens of a model.json written on one line. */
export function modelLensTitle(totals: { layers: number; params: number }): string {
  return `${int(totals.layers)} layers · ${int(totals.params)} params · open summary`;
}

export function hoverMarkdown(name: string, facts: LayerFacts, model?: { path: string; method?: string; accuracyDelta?: number }): string {
  const rows: [string, string][] = [];
  const l = facts.inspect;
  if (l) {
    rows.push(['Class', l.className], ['Output shape', `[${l.outputShape.map((d) => d ?? '?').join(', ')}]`], ['Params', int(l.params)], ['Trainable', int(l.trainableParams)], ['Zeros', int(l.zeros)], ['Sparsity', pct(l.sparsity)], ['Filters/units', l.filters === null ? '—' : String(l.filters)], ['MACs', int(l.macs)]);
    if (!l.analysable) rows.push(['Analysable', `no${l.note ? ` (${l.note})` : ''}`]);
  }
  const p = facts.pruned;
  if (p) {
    rows.push(['Last run', `${p.targeted ? 'pruned' : 'not targeted'}${model?.method ? ` (${model.method})` : ''}`], ['Sparsity before → after', `${pct(p.before.sparsity)} → ${pct(p.after.sparsity)}`], ['Params after', int(p.after.params)], ['MACs after', int(p.after.macs)]);
    if (p.before.filters !== null && p.after.filters !== p.before.filters) rows.push(['Filters before → after', `${p.before.filters} → ${p.after.filters}`]);
    if (model?.accuracyDelta !== undefined) rows.push(['Top-1 change (run)', formatDelta(model.accuracyDelta)]);
  }
  if (model) rows.push(['Model', model.path]);
  return [`**${name}**`, '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`)].join('\n');
}
