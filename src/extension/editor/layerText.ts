// The words shown in CodeLens titles and hovers for one layer. Pure.
import type { InspectReport, PruneReport } from '../../protocol/report';

export interface LayerFacts {
  inspect?: InspectReport['layers'][number];
  pruned?: PruneReport['layers'][number];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (f: number) => `${(f * 100).toFixed(1)}%`;

/** "24,155 params · 0.0% sparse · Δ 0.0% → 75.0% sparse (afcc)" */
export function lensTitle(facts: LayerFacts, method?: string): string | undefined {
  const l = facts.inspect;
  const p = facts.pruned;
  if (!l && !p) return undefined;
  const params = l?.params ?? p!.before.params;
  const sparsity = l?.sparsity ?? p!.before.sparsity;
  let title = `${int(params)} params · ${pct(sparsity)} sparse`;
  if (p && p.after.sparsity !== p.before.sparsity) title += ` · Δ ${pct(p.before.sparsity)} → ${pct(p.after.sparsity)}${method ? ` (${method})` : ''}`;
  if (p && p.before.filters !== null && p.after.filters !== p.before.filters) title += ` · filters ${p.before.filters} → ${p.after.filters}`;
  return title;
}

export function hoverMarkdown(name: string, facts: LayerFacts): string {
  const rows: [string, string][] = [];
  const l = facts.inspect;
  if (l) {
    rows.push(['Class', l.className], ['Output shape', `[${l.outputShape.map((d) => d ?? '?').join(', ')}]`], ['Params', int(l.params)], ['Trainable', int(l.trainableParams)], ['Zeros', int(l.zeros)], ['Sparsity', pct(l.sparsity)], ['Filters/units', l.filters === null ? '—' : String(l.filters)], ['MACs', int(l.macs)]);
    if (!l.analysable) rows.push(['Analysable', `no${l.note ? ` (${l.note})` : ''}`]);
  }
  const p = facts.pruned;
  if (p) rows.push(['Last run', p.targeted ? 'pruned' : 'not targeted'], ['Sparsity before → after', `${pct(p.before.sparsity)} → ${pct(p.after.sparsity)}`], ['Params after', int(p.after.params)], ['MACs after', int(p.after.macs)]);
  return [`**${name}**`, '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`)].join('\n');
}
