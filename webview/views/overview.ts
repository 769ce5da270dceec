// Header (what ran, on what, the headline numbers), the honest outcome box, exports and reruns.
import type { Report } from '../../src/protocol/report';
import type { OutcomeLine, WebviewToHost } from '../../src/protocol/webview';
import { h } from '../dom';
import { bytes, deltaClass, int, macs, pct, points } from '../format';
import { dropText, methodLabel, renderBudgetSummary, sweepOf, withinBudget } from './budget';

export function renderOverview(report: Report, outcome: OutcomeLine[] | undefined, post: (m: WebviewToHost) => void, options: { exports: boolean }): HTMLElement {
  const facts: [string, string][] = [['Format', report.model.format], ['Backend', report.backend]];
  if (report.evaluatedBy) facts.push(['Accuracy by', report.evaluatedBy]);
  if (report.kind !== 'inspect') facts.push(['Dataset', `${report.dataset.path.split(/[\\/]/).slice(-2).join('/')} · ${report.dataset.split} · ${int(report.dataset.samples)}`]);
  if (report.kind === 'prune') facts.push(['Method', report.method]);
  if (report.kind === 'compare') facts.push(['Methods', report.rows.map((r) => r.method).join(', ')]);
  const sweep = sweepOf(report);
  if (sweep) facts.push(['Methods', sweep.curves.map((c) => methodLabel(c.method)).join(', ')]);
  facts.push(['When', new Date(report.createdAt).toLocaleString()]);
  const header = h('header', { class: 'run-header' },
    h('h1', {}, report.model.name, ' ', h('vscode-badge', {}, report.kind)),
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  );
  const cards: HTMLElement[] = [];
  const card = (label: string, value: string | HTMLElement, testId: string) => cards.push(h('div', { class: 'card', 'data-testid': testId }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value)));
  if (report.kind === 'prune' && report.budget) {
    const b = report.budget;
    card('Budget', b.chosen ? h('span', {}, `${dropText(b.chosen.verifiedDrop)} of ${b.maxDrop} pp `, h('span', { class: b.chosen.withinBudget ? 'delta-good' : 'delta-bad' }, b.chosen.withinBudget ? 'within' : 'over')) : `nothing met ${b.maxDrop} pp`, 'budget');
  }
  if (report.kind === 'prune') {
    const { before, after } = report.totals;
    const delta = report.accuracy.after.top1 - report.accuracy.before.top1;
    card('Parameters', `${int(before.params)} → ${int(after.params)}`, 'params');
    card('Sparsity', `${pct(before.sparsity)} → ${pct(after.sparsity)} (targeted ${pct(report.targetedSparsity)})`, 'sparsity');
    card('MACs', `${macs(before.macs)} → ${macs(after.macs)}`, 'macs');
    card('Size raw / gzipped', `${bytes(before.bytes)} → ${bytes(after.bytes)} / ${bytes(before.gzipBytes)} → ${bytes(after.gzipBytes)}`, 'size');
    card('Top-1', h('span', {}, `${pct(report.accuracy.before.top1, 2)} → ${pct(report.accuracy.after.top1, 2)} `, h('span', { class: deltaClass(delta), 'data-testid': 'top1-delta' }, points(delta))), 'top1');
  } else if (report.kind === 'inspect' || report.kind === 'eval') {
    card('Parameters', int(report.totals.params), 'params');
    card('Sparsity', pct(report.totals.sparsity), 'sparsity');
    card('MACs', macs(report.totals.macs), 'macs');
    card('Size raw / gzipped', `${bytes(report.totals.bytes)} / ${bytes(report.totals.gzipBytes)}`, 'size');
    if (report.kind === 'eval') card('Top-1', pct(report.accuracy.top1, 2), 'top1');
  } else if (report.kind === 'compare') {
    card('Baseline top-1', pct(report.baseline.top1, 2), 'top1');
    card('Methods', String(report.rows.length), 'methods');
  } else if (report.kind === 'analyze') {
    card('Analysed layers', String(report.sfp.layers.length), 'layers');
    card('Classes', String(report.sfp.classes), 'classes');
  } else if (sweep) {
    card('Baseline top-1', pct(sweep.baseline.top1, 2), 'top1');
    card('Methods × points', `${sweep.curves.length} × ${Math.max(0, ...sweep.curves.map((c) => c.points.length))}`, 'methods');
    for (const f of withinBudget(sweep)) card(`${methodLabel(f.method)} within ${sweep.maxDrop} pp`, f.sparsity === null ? 'none measured' : `up to ${pct(f.sparsity)}`, `within-${f.method}`);
  }
  const out = report.kind === 'prune' ? report.output : null;
  const output = out
    ? h('p', { class: 'output' }, 'Written to ', h('a', { href: '#', 'data-testid': 'output-path', onclick: (e: Event) => { e.preventDefault(); post({ type: 'revealOutput', path: out.path }); } }, out.path), out.verified ? ' — reloaded and verified' : ' — not verified')
    : null;
  const outcomeBox = outcome?.length
    ? h('section', { class: 'outcome', 'aria-label': 'Outcome' }, h('h2', {}, 'What this run did'), h('ul', {}, ...outcome.map((l) => h('li', { class: `outcome-${l.kind}` }, l.text))))
    : null;
  const exportButtons = options.exports
    ? (['markdown', 'html', 'json'] as const).map((format) => h('vscode-button', { secondary: true, onclick: () => post({ type: 'export', format }) }, `Export ${format === 'markdown' ? 'Markdown' : format.toUpperCase()}`))
    : [];
  const actions = h('div', { class: 'actions' },
    ...exportButtons,
    h('vscode-button', { onclick: () => post({ type: 'rerun', command: 'prune' }) }, 'Prune…'),
    h('vscode-button', { secondary: true, onclick: () => post({ type: 'rerun', command: 'analyze' }) }, 'Analyze…'),
    h('vscode-button', { secondary: true, onclick: () => post({ type: 'rerun', command: 'compare' }) }, 'Compare…'),
  );
  const notes = report.notes.length ? h('ul', { class: 'notes' }, ...report.notes.map((n) => h('li', {}, n))) : null;
  const budget = report.kind === 'prune' && report.budget ? renderBudgetSummary(report, report.budget) : null;
  return h('section', { class: 'overview' }, header, h('div', { class: 'cards' }, ...cards), budget, output, outcomeBox, notes, actions);
}
