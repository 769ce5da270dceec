// The accuracy budget (--max-drop) and the sweep: what was verified against the budget on data the
// search never saw, which method won under auto and by how much, every attempt of the back-off,
// the per-layer allocation, the sensitivity heat map (layers × ladder sparsities), and the
// accuracy-vs-sparsity chart per method with the budget line.
import type { BudgetAttempt, BudgetSection, PruneMethod, PruneReport, SensitivitySection, SweepReport } from '../../src/protocol/report';
import { lineChart, type HLine, type Series } from '../charts';
import { h } from '../dom';
import { int, pct } from '../format';

const METHOD_LABELS: Partial<Record<PruneMethod | 'auto', string>> = {
  auto: 'auto', afcc: 'AFCC', 'afcc-balanced': 'AFCC class-balanced', 'afcc-hybrid': 'AFCC hybrid', magnitude: 'magnitude', 'global-magnitude': 'global magnitude', 'l1-kernel': 'L1 kernel', random: 'random', 'random-afcc': 'random-AFCC', 'sfp-filters': 'SFP filters',
};
export const methodLabel = (m: PruneMethod | 'auto'): string => METHOD_LABELS[m] ?? m;

/** The report as a sweep, when it is one (written against the kind as a string, so it holds whatever the union lists). */
export function sweepOf(report: { kind: string }): SweepReport | undefined {
  return report.kind === 'sweep' ? (report as unknown as SweepReport) : undefined;
}

/** Drawn at 420 units wide, so its text stays legible in a half-width panel. */
const NARROW = { width: 420, height: 250 };

const OBJECTIVE_WORDS = { params: 'parameters', macs: 'MACs', size: 'file size' } as const;

/**
 * A measured drop in pp, rounded up to 0.01 pp so the page never shows less than was measured
 * (a gain reads as a negative drop).
 */
export function dropText(pp: number): string {
  const up = Math.ceil(pp * 100 - 1e-9) / 100;
  return `${up < 0 ? '−' : ''}${Math.abs(up).toFixed(2)} pp`;
}

/** The best stage of a sweep point: fine-tuned, else BatchNorm re-estimated, else as masked. */
export const sweepTop1 = (p: { top1: number; top1BnRecalibrated?: number; top1Finetuned?: number }): number => p.top1Finetuned ?? p.top1BnRecalibrated ?? p.top1;

/** The summary a person reads first: the verified held-out drop against the budget, and the split. */
export function renderBudgetSummary(report: PruneReport, budget: BudgetSection): HTMLElement {
  const { split, chosen, maxDrop } = budget;
  const objective = OBJECTIVE_WORDS[budget.objective];
  const verdict = chosen
    ? h('p', { class: `budget-verdict ${chosen.withinBudget ? 'within' : 'over'}`, 'data-testid': 'budget-verdict' },
      `Verified held-out drop ${dropText(chosen.verifiedDrop)} ${chosen.withinBudget ? 'within' : 'over'} the budget of ${maxDrop} pp`,
      ` — ${pct(chosen.removed)} of the ${objective} removed${chosen.verifiedDrop < 0 ? '; held-out top-1 rose' : ''}.`)
    : h('p', { class: 'budget-verdict over', 'data-testid': 'budget-verdict' }, `No attempt kept held-out top-1 within ${maxDrop} pp: no model was written.`);
  const heldOut = budget.heldOutAfter
    ? `Held-out top-1 ${pct(budget.heldOutBefore.top1, 2)} → ${pct(budget.heldOutAfter.top1, 2)}`
    : `Held-out top-1 before pruning ${pct(budget.heldOutBefore.top1, 2)}`;
  const splitText = h('p', { 'data-testid': 'budget-split' },
    `${heldOut}, measured on ${int(split.heldOut)} held-out images the search never saw (one image is ${(100 / Math.max(1, split.heldOut)).toFixed(2)} pp); `,
    `every search decision used the other ${int(split.calibration)} calibration images (${split.kind} split, seed ${split.seed}).`);
  const how = h('p', { class: 'muted', 'data-testid': 'budget-how' },
    `Method ${methodLabel(budget.requestedMethod)}; allocation: ${budget.allocator.replace(/\.$/, '')}; ${budget.attempts.length} verified attempt${budget.attempts.length === 1 ? '' : 's'}`,
    budget.sensitivity.cache.hit ? '; the sensitivity scan came from the cache.' : '.');
  return h('section', { class: 'budget', 'aria-label': 'Accuracy budget', 'data-testid': 'budget-summary' },
    h('h2', {}, `Within ${maxDrop} pp of top-1`), verdict, splitText, renderWinner(budget), how, renderAttempts(budget), renderAllocation(report, budget));
}

/** Under auto: which method won and by how much (removed share and verified drop of each one's best). */
export function renderWinner(budget: BudgetSection): HTMLElement | null {
  const methods = budget.methods;
  if (!methods || methods.length < 2) return null;
  const objective = OBJECTIVE_WORDS[budget.objective];
  const ranked = [...methods].sort((a, b) => (b.best?.removed ?? -1) - (a.best?.removed ?? -1));
  const [first, second] = ranked;
  let text: string;
  if (!first.best) text = `No method kept top-1 within ${budget.maxDrop} pp.`;
  else if (!second.best) text = `${methodLabel(first.method)} won: ${pct(first.best.removed)} of the ${objective} removed (verified drop ${dropText(first.best.verifiedDrop)}); ${methodLabel(second.method)} met the budget at no scale.`;
  else {
    const lead = (first.best.removed - second.best.removed) * 100;
    text = `${methodLabel(first.method)} won by ${lead.toFixed(1)} pp of the ${objective}: ${pct(first.best.removed)} removed (verified drop ${dropText(first.best.verifiedDrop)}) against ${methodLabel(second.method)}'s ${pct(second.best.removed)} (${dropText(second.best.verifiedDrop)}).`;
  }
  const others = ranked.slice(2).map((m) => `${methodLabel(m.method)}: ${m.best ? `${pct(m.best.removed)} removed, ${dropText(m.best.verifiedDrop)}` : 'nothing within the budget'}`);
  return h('p', { 'data-testid': 'budget-winner' }, text, others.length ? ` Also tried — ${others.join('; ')}.` : '');
}

function renderAttempts(budget: BudgetSection): HTMLElement {
  const isChosen = (a: BudgetAttempt) => budget.chosen !== null && a.method === budget.chosen.method && a.scale === budget.chosen.scale && a.removed === budget.chosen.removed;
  const headers = ['Method', 'Scale', 'Removed', 'Predicted (pp)', 'Verified (pp)', 'Within'];
  return h('div', { class: 'table-scroll' }, h('table', { class: 'attempts budget-table', 'data-testid': 'budget-attempts' },
    h('caption', {}, 'Attempts: each allocation applied, re-estimated, fine-tuned, its top-1 drop predicted and verified on the held-out split'),
    h('thead', {}, h('tr', {}, ...headers.map((c, i) => h('th', { class: i ? 'num' : '', scope: 'col' }, c)))),
    h('tbody', {}, ...budget.attempts.map((a) => h('tr', { class: isChosen(a) ? 'chosen' : '', 'aria-current': isChosen(a) ? 'true' : undefined },
      h('td', {}, methodLabel(a.method), isChosen(a) ? ' (written)' : ''), h('td', { class: 'num' }, a.scale.toFixed(2)), h('td', { class: 'num' }, pct(a.removed)),
      h('td', { class: 'num' }, dropText(a.predictedDrop).replace(' pp', '')), h('td', { class: 'num' }, dropText(a.verifiedDrop).replace(' pp', '')), h('td', { class: `num ${a.withinBudget ? 'delta-good' : 'delta-bad'}` }, a.withinBudget ? 'yes' : 'no')))),
  ));
}

function renderAllocation(report: PruneReport, budget: BudgetSection): HTMLElement | null {
  const chosen = budget.chosen;
  if (!chosen) return null;
  const params = new Map(report.layers.map((l) => [l.name, l.before.params]));
  const layers = Object.entries(chosen.layerSparsity);
  return h('table', { class: 'allocation budget-table', 'data-testid': 'budget-allocation' },
    h('caption', {}, `Per-layer sparsity written (${methodLabel(chosen.method)}, scale ${chosen.scale.toFixed(2)})`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Layer'), h('th', { class: 'num', scope: 'col' }, 'Params'), h('th', { class: 'num', scope: 'col' }, 'Sparsity'))),
    h('tbody', {}, ...layers.map(([name, s]) => h('tr', { 'data-layer': name }, h('td', {}, name), h('td', { class: 'num' }, params.has(name) ? int(params.get(name)!) : '—'), h('td', { class: 'num' }, pct(s))))),
  );
}

/**
 * The sensitivity heat map, one table per method scanned: a row per layer, a column per ladder
 * sparsity, each cell the calibration top-1 drop (pp) of that layer pruned alone; the written
 * allocation's column is outlined.
 */
export function renderSensitivity(section: SensitivitySection, chosen: BudgetAttempt | null): HTMLElement {
  const methods = [...new Set(section.curves.map((c) => c.method))];
  const drops = section.curves.flatMap((c) => c.points.map((p) => (c.baseline - p.top1) * 100));
  // Full colour at the largest drop (at least 2 pp, so a model that barely moves stays pale).
  const scale = Math.max(2, ...drops);
  const tables = methods.map((method) => {
    const curves = section.curves.filter((c) => c.method === method);
    const allocation = chosen && chosen.method === method ? chosen.layerSparsity : undefined;
    return h('div', { class: 'table-scroll' }, h('table', { class: 'heatmap', 'data-testid': `heatmap-${method}`, 'data-method': method },
      h('caption', {}, `${methodLabel(method)}: calibration top-1 drop (pp) with one layer pruned alone`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Layer'), ...section.ladder.map((s) => h('th', { scope: 'col', class: 'num' }, pct(s, 0))), ...(allocation ? [h('th', { scope: 'col', class: 'num' }, 'Written')] : []))),
      h('tbody', {}, ...curves.map((c) => {
        const allocated = allocation?.[c.layer];
        // The ladder step the written sparsity reached (the largest at or below it).
        const mark = allocated === undefined ? -1 : section.ladder.reduce((best, s, i) => (s <= allocated + 1e-9 ? i : best), -1);
        return h('tr', { 'data-layer': c.layer },
          h('th', { scope: 'row', title: c.layer }, c.layer),
          ...section.ladder.map((s, i) => {
            const point = c.points.find((p) => Math.abs(p.sparsity - s) < 1e-9);
            if (!point) return h('td', { class: 'num muted' }, '—');
            const drop = (c.baseline - point.top1) * 100;
            const label = `${c.layer} at ${pct(s, 0)} sparsity: calibration top-1 ${pct(point.top1, 2)}, drop ${drop.toFixed(2)} pp`;
            const cell = h('td', { class: `num heat${i === mark ? ' allocated' : ''}`, title: label, 'aria-label': label, 'data-drop': drop.toFixed(4) }, drop.toFixed(1).replace('-', '−'));
            cell.style.setProperty('--heat', String(Math.max(0, Math.min(1, drop / scale))));
            return cell;
          }),
          ...(allocation ? [h('td', { class: 'num' }, allocated === undefined ? '—' : pct(allocated))] : []));
      })),
    ));
  });
  return h('section', { class: 'sensitivity', 'aria-label': 'Sensitivity heat map', 'data-testid': 'sensitivity' },
    h('h2', {}, 'Sensitivity per layer'),
    h('p', { class: 'heat-legend' }, `Each layer pruned alone at each sparsity, ${section.bnRecalibrated ? 'BatchNorm re-estimated, ' : ''}measured on the calibration split; darker is a larger drop (full colour at ${scale.toFixed(1)} pp).`),
    ...tables);
}

/** Held-out top-1 of every verified attempt against the share removed, per method, with the budget line. */
export function renderBudgetCurves(budget: BudgetSection): SVGElement | null {
  if (!budget.attempts.length) return null;
  const byMethod = new Map<PruneMethod, [number, number][]>();
  for (const a of budget.attempts) byMethod.set(a.method, [...(byMethod.get(a.method) ?? []), [a.removed, a.heldOutTop1]]);
  const series: Series[] = [...byMethod].map(([m, pts]) => ({ name: methodLabel(m), points: pts.sort((p, q) => p[0] - q[0]) }));
  return lineChart(series, {
    title: 'Held-out top-1 of each verified attempt',
    xLabel: `share of ${OBJECTIVE_WORDS[budget.objective]} removed`,
    yLabel: 'held-out top-1',
    xTick: (v) => pct(v, 0),
    yTick: (v) => pct(v, 1),
    hLines: budgetLines(budget.heldOutBefore.top1, budget.maxDrop),
    ...NARROW,
  });
}

function budgetLines(baseline: number, maxDrop: number | undefined): HLine[] {
  const lines: HLine[] = [{ y: baseline, label: `unpruned ${pct(baseline, 2)}`, kind: 'baseline' }];
  if (maxDrop !== undefined) lines.push({ y: baseline - maxDrop / 100, label: `budget −${maxDrop} pp (${pct(baseline - maxDrop / 100, 2)})`, kind: 'budget' });
  return lines;
}

/** The largest targeted sparsity per method whose best stage stays within the budget, if any. */
export function withinBudget(report: SweepReport): { method: PruneMethod; sparsity: number | null }[] {
  if (report.maxDrop === undefined) return [];
  const floor = report.baseline.top1 - report.maxDrop / 100;
  return report.curves.map((c) => {
    const ok = c.points.filter((p) => sweepTop1(p) >= floor - 1e-12).map((p) => p.targetedSparsity);
    return { method: c.method, sparsity: ok.length ? Math.max(...ok) : null };
  });
}

/** A sweep: the accuracy-vs-sparsity chart per method with the budget line, what fits the budget, and the table. */
export function renderSweep(report: SweepReport): HTMLElement {
  const series: Series[] = report.curves.map((c) => ({ name: methodLabel(c.method), points: c.points.map((p) => [p.targetedSparsity, sweepTop1(p)] as [number, number]).sort((a, b) => a[0] - b[0]) }));
  const chart = lineChart(series, {
    title: 'Top-1 against targeted sparsity, per method (best stage)',
    xLabel: 'targeted sparsity',
    yLabel: 'top-1',
    xTick: (v) => pct(v, 0),
    yTick: (v) => pct(v, 1),
    hLines: budgetLines(report.baseline.top1, report.maxDrop),
    ...NARROW,
  });
  const fits = withinBudget(report);
  const fitText = fits.length
    ? h('p', { 'data-testid': 'sweep-within' }, `Within ${report.maxDrop} pp of ${pct(report.baseline.top1, 2)}: `,
      fits.map((f) => `${methodLabel(f.method)} ${f.sparsity === null ? 'at no measured sparsity' : `up to ${pct(f.sparsity)}`}`).join(', '), '.')
    : null;
  const headers = ['Method', 'Targeted', 'Removed', 'Top-1', 'BN re-est.', 'Fine-tuned'];
  const table = h('div', { class: 'table-scroll' }, h('table', { class: 'compare budget-table', 'data-testid': 'sweep-table' },
    h('caption', {}, `Every point of the sweep (${int(report.dataset.samples)} ${report.dataset.split} images, seed ${report.seed})`),
    h('thead', {}, h('tr', {}, ...headers.map((c, i) => h('th', { class: i ? 'num' : '', scope: 'col' }, c)))),
    h('tbody', {}, ...report.curves.flatMap((c) => c.points.map((p) => h('tr', {},
      h('td', {}, methodLabel(c.method)), h('td', { class: 'num' }, pct(p.targetedSparsity)), h('td', { class: 'num', title: `total sparsity ${pct(p.totalSparsity)}` }, pct(p.removed)),
      h('td', { class: 'num' }, pct(p.top1, 2)), h('td', { class: 'num' }, p.top1BnRecalibrated === undefined ? '—' : pct(p.top1BnRecalibrated, 2)),
      h('td', { class: 'num' }, p.top1Finetuned === undefined ? '—' : pct(p.top1Finetuned, 2)))))),
  ));
  return h('section', { class: 'sweep', 'aria-label': 'Accuracy against sparsity', 'data-testid': 'sweep' }, chart, fitText, table);
}
