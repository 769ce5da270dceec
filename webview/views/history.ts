// Run history of the model: open a run, or tick two and diff them side by side.
import type { Report } from '../../src/protocol/report';
import type { RunSummary, WebviewToHost } from '../../src/protocol/webview';
import { h } from '../dom';
import { deltaClass, int, pct, points } from '../format';

export function renderHistory(history: RunSummary[], currentRunId: string | undefined, picked: string[], onPick: (ids: string[]) => void, post: (m: WebviewToHost) => void): HTMLElement {
  const rows = history.map((run) => {
    const box = h('vscode-checkbox', { checked: picked.includes(run.id), 'aria-label': `pick ${run.id} for diff` });
    box.addEventListener('change', () => {
      const next = picked.includes(run.id) ? picked.filter((p) => p !== run.id) : [...picked, run.id].slice(-2);
      onPick(next);
    });
    return h('tr', { class: run.id === currentRunId ? 'selected' : '', 'data-run': run.id },
      h('td', {}, box),
      h('td', {}, h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); post({ type: 'openRun', runId: run.id }); } }, new Date(run.createdAt).toLocaleString())),
      h('td', {}, run.kind), h('td', {}, run.method ?? ''),
      h('td', { class: 'num' }, run.sparsity === undefined ? '' : pct(run.sparsity)),
      h('td', { class: `num ${run.top1Delta === undefined ? '' : deltaClass(run.top1Delta)}` }, run.top1Delta === undefined ? '' : points(run.top1Delta)));
  });
  const diff = h('vscode-button', { disabled: picked.length !== 2, onclick: () => picked.length === 2 && post({ type: 'diffRuns', left: picked[0], right: picked[1] }) }, 'Diff the two picked runs');
  return h('section', { class: 'history', 'data-testid': 'history' },
    history.length ? h('table', {}, h('thead', {}, h('tr', {}, ...['', 'When', 'Kind', 'Method', 'Sparsity', 'Δ top-1'].map((c) => h('th', {}, c)))), h('tbody', {}, ...rows)) : h('p', { class: 'muted' }, 'No stored runs for this model yet.'),
    diff,
  );
}

interface Headline {
  label: string;
  value: (r: Report) => string;
}

const HEADLINES: Headline[] = [
  { label: 'Kind', value: (r) => r.kind },
  { label: 'Method', value: (r) => (r.kind === 'prune' ? r.method : '—') },
  { label: 'When', value: (r) => new Date(r.createdAt).toLocaleString() },
  { label: 'Parameters (after)', value: (r) => (r.kind === 'prune' ? int(r.totals.after.params) : r.kind === 'inspect' || r.kind === 'eval' ? int(r.totals.params) : '—') },
  { label: 'Sparsity', value: (r) => (r.kind === 'prune' ? pct(r.totals.after.sparsity) : r.kind === 'inspect' || r.kind === 'eval' ? pct(r.totals.sparsity) : '—') },
  { label: 'Targeted sparsity', value: (r) => (r.kind === 'prune' ? pct(r.targetedSparsity) : '—') },
  { label: 'Top-1', value: (r) => (r.kind === 'prune' ? `${pct(r.accuracy.before.top1, 2)} → ${pct(r.accuracy.after.top1, 2)}` : r.kind === 'eval' ? pct(r.accuracy.top1, 2) : '—') },
  { label: 'Gzipped size', value: (r) => (r.kind === 'prune' ? `${int(r.totals.after.gzipBytes)} B` : r.kind === 'inspect' || r.kind === 'eval' ? `${int(r.totals.gzipBytes)} B` : '—') },
];

export function renderDiff(left: Report, right: Report): HTMLElement {
  const layerNames = [...new Set([...(left.kind === 'prune' ? left.layers : []), ...(right.kind === 'prune' ? right.layers : [])].map((l) => l.name))];
  const sparsity = (r: Report, name: string) => (r.kind === 'prune' ? r.layers.find((l) => l.name === name)?.after.sparsity : undefined);
  return h('section', { class: 'diff', 'data-testid': 'diff' },
    h('h2', {}, 'Runs side by side'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Left'), h('th', {}, 'Right'))),
      h('tbody', {},
        ...HEADLINES.map((x) => h('tr', {}, h('th', { scope: 'row' }, x.label), h('td', {}, x.value(left)), h('td', {}, x.value(right)))),
        ...layerNames.map((n) => {
          const a = sparsity(left, n);
          const b = sparsity(right, n);
          return h('tr', {}, h('th', { scope: 'row' }, `${n} sparsity`), h('td', { class: 'num' }, a === undefined ? '—' : pct(a)), h('td', { class: 'num' }, b === undefined ? '—' : pct(b)));
        }),
      ),
    ),
  );
}
