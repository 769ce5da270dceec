// The honest outcome of a run: what was zeroed, what was physically removed, and what that does
// (or does not) buy in TensorFlow.js. Shared by the panel and the exports so they never disagree.
import type { PruneReport, Report } from '../../protocol/report';
import type { OutcomeLine } from '../../protocol/webview';
import { formatBytes, formatDrop, formatInt, formatMacs, formatPercent, formatRelativeChange } from './format';

export type { OutcomeLine };

export function describeOutcome(report: Report): OutcomeLine[] {
  // Compared as a string, so it holds whatever kinds the union lists.
  if ((report as { kind: string }).kind === 'sweep') {
    return [{ kind: 'note', text: 'A sweep prunes copies in memory only: no model file was written. Run Prune within a budget to write one.' }];
  }
  switch (report.kind) {
    case 'prune':
      return pruneOutcome(report);
    case 'compare':
      return [{ kind: 'note', text: 'Compare prunes copies in memory only: no model file was written. Pick a method and run Prune to write one.' }];
    case 'analyze':
      return [{ kind: 'note', text: 'Analysis only: no weights were changed.' }];
    default:
      return [{ kind: 'note', text: 'Nothing was pruned: these are the model’s own statistics.' }];
  }
}

function pruneOutcome(report: PruneReport): OutcomeLine[] {
  const { before, after } = report.totals;
  const lines: OutcomeLine[] = [];
  const newZeros = after.zeros - before.zeros;
  const targeted = report.layers.filter((l) => l.targeted).map((l) => l.name);
  const budget = report.budget;
  if (budget) {
    const where = `${formatInt(budget.split.heldOut)} held-out images the search never saw`;
    lines.push({
      kind: 'note',
      text: budget.chosen
        ? `Top-1 on ${where} dropped ${formatDrop(budget.chosen.verifiedDrop)}: ${budget.chosen.withinBudget ? 'within' : 'over'} the ${budget.maxDrop} pp budget.`
        : `No allocation kept top-1 on ${where} within the ${budget.maxDrop} pp budget: no model was written.`,
    });
  }
  lines.push({
    kind: 'zeroed',
    text:
      `${formatInt(newZeros)} weights set to zero (${formatPercent(report.targetedSparsity)} of the targeted kernels` +
      `${targeted.length ? `: ${targeted.join(', ')}` : ''}; ${formatPercent(after.sparsity)} of all parameters).`,
  });
  const removedFilters = report.layers.reduce((sum, l) => {
    const b = l.before.filters ?? 0;
    const a = l.after.filters ?? 0;
    return sum + Math.max(0, b - a);
  }, 0);
  const structured = report.output?.structured === true && removedFilters > 0;
  if (structured) {
    lines.push({
      kind: 'removed',
      text:
        `${formatInt(removedFilters)} dead filters were physically removed: parameters ${formatInt(before.params)} → ${formatInt(after.params)}, ` +
        `MACs ${formatMacs(before.macs)} → ${formatMacs(after.macs)} (${formatRelativeChange(before.macs, after.macs)}).`,
    });
    lines.push({
      kind: 'speed',
      text: 'Removing filters shrinks the dense tensors TF.js multiplies, so it can run faster; the measured latency below is the evidence.',
    });
  } else {
    lines.push({ kind: 'removed', text: 'Nothing was physically removed: every tensor keeps its shape, the zeros are stored and multiplied.' });
    lines.push({
      kind: 'speed',
      text: 'TF.js has no sparse kernels, so masked weights alone give no speed-up. The gain is in compressed size (zeros gzip well); run with --structured to remove dead filters.',
    });
  }
  lines.push({
    kind: 'size',
    text: `Size on disk ${formatBytes(before.bytes)} → ${formatBytes(after.bytes)} raw, ${formatBytes(before.gzipBytes)} → ${formatBytes(after.gzipBytes)} gzipped (${formatRelativeChange(before.gzipBytes, after.gzipBytes)}).`,
  });
  for (const l of report.latency ?? []) {
    const ratio = l.afterMs > 0 ? l.beforeMs / l.afterMs : Number.NaN;
    lines.push({
      kind: 'latency',
      text: `Measured latency at batch ${l.batch}${l.runtime ? ` with ${l.runtime}` : ''}: ${l.beforeMs.toFixed(2)} ms → ${l.afterMs.toFixed(2)} ms (${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a'}).`,
    });
  }
  if (!report.latency?.length) {
    lines.push({ kind: 'latency', text: 'Latency was not measured for this run.' });
  }
  return lines;
}
