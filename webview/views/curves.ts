// Curves: readout accuracy and SNR vs depth, accuracy per class before/after, and for Compare,
// accuracy vs sparsity per method plus the table of every method.
import type { CompareReport, Report } from '../../src/protocol/report';
import { lineChart, type Series } from '../charts';
import { classLabel, classNamesOf } from '../classes';
import { h } from '../dom';
import { deltaClass, pct, points } from '../format';
import { sfpOf } from '../layerRows';
import { renderBudgetCurves, renderSensitivity, renderSweep, sweepOf } from './budget';

export function renderCurves(report: Report): HTMLElement {
  const parts: (HTMLElement | SVGElement)[] = [];
  const sweep = sweepOf(report);
  if (sweep) parts.push(renderSweep(sweep));
  if (report.kind === 'prune' && report.budget) {
    const chart = renderBudgetCurves(report.budget);
    if (chart) parts.push(chart);
    if (report.budget.sensitivity.curves.length) parts.push(renderSensitivity(report.budget.sensitivity, report.budget.chosen));
  }
  const sfp = sfpOf(report);
  if (sfp?.layers.length) {
    const names = sfp.layers.map((l) => l.name);
    parts.push(lineChart([{ name: 'readout top-1', points: sfp.layers.map((l, i) => [i, l.readoutAccuracy]) }], { title: 'Readout accuracy vs depth', xLabel: 'layer', yLabel: 'top-1', categories: names, yRange: [0, 1] }));
    const snrSeries: Series[] = [
      { name: 'SNR A', points: sfp.layers.flatMap((l, i) => (l.snrA === null ? [] : [[i, l.snrA] as [number, number]])) },
      { name: 'SNR B', points: sfp.layers.flatMap((l, i) => (l.snrB === null ? [] : [[i, l.snrB] as [number, number]])) },
    ];
    parts.push(lineChart(snrSeries, { title: 'SNR vs depth (∞ not drawn)', xLabel: 'layer', yLabel: 'SNR', categories: names }));
  }
  const names = classNamesOf(report);
  const perClass: Series[] = [];
  if (report.kind === 'prune') perClass.push({ name: 'before', points: report.accuracy.before.perClass.map((v, c) => [c, v]) }, { name: 'after', points: report.accuracy.after.perClass.map((v, c) => [c, v]) });
  if (report.kind === 'eval') perClass.push({ name: 'top-1', points: report.accuracy.perClass.map((v, c) => [c, v]) });
  if (perClass.length && perClass[0].points.length) {
    const categories = perClass[0].points.map((_, c) => classLabel(c, names));
    parts.push(lineChart(perClass, { title: 'Accuracy per class', xLabel: 'class', yLabel: 'top-1', categories, yRange: [0, 1], pointsOnly: categories.length > 30 }));
  }
  if (report.kind === 'compare') parts.push(...renderCompare(report));
  if (!parts.length) parts.push(h('p', { class: 'muted' }, 'This run has no curves: analyse or prune the model to see accuracy and SNR by depth.'));
  return h('section', { class: 'curves', 'data-testid': 'curves' }, ...parts);
}

function renderCompare(report: CompareReport): (HTMLElement | SVGElement)[] {
  const byMethod = new Map<string, [number, number][]>();
  for (const r of report.rows) {
    const best = r.accuracyFinetuned ?? r.accuracyBnRecalibrated ?? r.accuracy;
    byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), [r.targetedSparsity, best.top1]]);
  }
  const chart = lineChart([...byMethod].map(([name, pts]) => ({ name, points: pts.sort((a, b) => a[0] - b[0]) })), {
    title: 'Accuracy vs targeted sparsity (best stage per method)', xLabel: 'targeted sparsity', yLabel: 'top-1', pointsOnly: byMethod.size === report.rows.length,
  });
  const layerNames = [...new Set(report.rows.flatMap((r) => Object.keys(r.layerSparsity)))];
  const header = ['Method', 'Targeted', 'Total', 'Top-1', 'Δ', 'BN re-est.', 'Fine-tuned', ...layerNames];
  const table = h('table', { class: 'compare', 'data-testid': 'compare-table' },
    h('thead', {}, h('tr', {}, ...header.map((c, i) => h('th', { class: i ? 'num' : '' }, c)))),
    h('tbody', {}, ...report.rows.map((r) => {
      const d = r.accuracy.top1 - report.baseline.top1;
      return h('tr', { class: r.method === report.reference ? 'reference' : '' },
        h('td', {}, r.method), h('td', { class: 'num' }, pct(r.targetedSparsity)), h('td', { class: 'num' }, pct(r.totalSparsity)), h('td', { class: 'num' }, pct(r.accuracy.top1, 2)),
        h('td', { class: `num ${deltaClass(d)}` }, points(d)), h('td', { class: 'num' }, r.accuracyBnRecalibrated ? pct(r.accuracyBnRecalibrated.top1, 2) : '—'),
        h('td', { class: 'num' }, r.accuracyFinetuned ? pct(r.accuracyFinetuned.top1, 2) : '—'),
        ...layerNames.map((n) => h('td', { class: 'num' }, n in r.layerSparsity ? pct(r.layerSparsity[n]) : '—')));
    })),
  );
  return [h('h2', {}, `Methods at the same per-layer sparsity (baseline ${pct(report.baseline.top1, 2)})`), table, chart];
}
