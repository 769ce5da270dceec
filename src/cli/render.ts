// Human-readable renderings of each report kind (the --json output is the report itself).
import type { AccuracyResult, AnalyzeReport, CompareReport, EvalReport, InspectReport, LayerStats, ModelTotals, PruneReport, Report, ReportBase } from '../protocol/report';
import { fmt, table } from './table';

function header(r: ReportBase): string {
  const m = r.model;
  return `${m.name}  (${m.format}, input ${fmt.shape(m.inputShape)}, ${m.classes} classes, backend ${r.backend})\n${m.path}`;
}

function layerTable(layers: LayerStats[]): string {
  const rows = layers.map((l) => [
    l.name,
    l.className + (l.analysable ? '' : ' *'),
    fmt.shape(l.outputShape.slice(1)),
    fmt.int(l.params),
    fmt.int(l.zeros),
    l.params > 0 ? fmt.pct(l.sparsity, 1) : '-',
    l.filters === null ? '-' : String(l.filters),
    fmt.short(l.macs),
  ]);
  const note = layers.some((l) => !l.analysable) ? '\n* not analysable (listed, not pruned)' : '';
  return table(['Layer', 'Class', 'Output', 'Params', 'Zeros', 'Sparsity', 'Filters', 'MACs'], rows, [false, false, false, true, true, true, true, true]) + note;
}

function totalsLine(t: ModelTotals): string {
  return `Total: ${fmt.int(t.params)} params, ${fmt.int(t.zeros)} zeros (${fmt.pct(t.sparsity, 1)} sparse), ${fmt.short(t.macs)} MACs per sample; files ${fmt.bytes(t.bytes)} (${fmt.bytes(t.gzipBytes)} gzipped)`;
}

function accuracyLine(label: string, a: AccuracyResult): string {
  return `${label}top-1 ${fmt.pct(a.top1)}  top-5 ${fmt.pct(a.top5)}  loss ${a.loss.toFixed(4)}  (${fmt.int(a.samples)} samples)`;
}

function timingsLine(r: ReportBase): string {
  return `Time: ${r.timings.map((t) => `${t.stage} ${t.seconds.toFixed(2)} s`).join(', ')}`;
}

function notes(r: ReportBase): string[] {
  return r.notes.map((n) => `Note: ${n}`);
}

function renderInspect(r: InspectReport): string[] {
  return [header(r), '', layerTable(r.layers), '', totalsLine(r.totals), ...notes(r)];
}

function renderEval(r: EvalReport): string[] {
  const d = r.dataset;
  const names = d.labelNames;
  const perClass = table(
    ['Class', 'Accuracy', 'Samples'],
    r.accuracy.perClass.map((acc, k) => [names?.[k] ? `${k} ${names[k]}` : String(k), fmt.pct(acc), fmt.int(r.confusion[k]?.reduce((a, b) => a + b, 0) ?? 0)]),
    [false, true, true],
  );
  return [
    header(r),
    `Data: ${d.path} (${d.kind}, ${d.split}, ${fmt.int(d.samples)} samples, scale ${d.preprocessing.scale} ${d.preprocessing.source})`,
    '',
    accuracyLine('Accuracy: ', r.accuracy),
    '',
    perClass,
    '',
    timingsLine(r),
    ...notes(r),
  ];
}

function renderAnalyze(r: AnalyzeReport): string[] {
  const rows = r.sfp.layers.map((l) => [
    l.name,
    fmt.pct(l.readoutAccuracy),
    String(l.filters.length),
    l.meanLabels.toFixed(2),
    l.meanNoise.toFixed(2),
    l.snrA === null ? '∞' : l.snrA.toFixed(2),
    fmt.pct(l.emptyFilters, 0),
  ]);
  return [
    header(r),
    `SFP on ${fmt.int(r.sfp.samples)} ${r.sfp.dataSplit} samples, threshold ${r.sfp.threshold}`,
    '',
    table(['Layer', 'Readout', 'Filters', 'Labels/filter', 'Noise', 'SNR', 'Empty'], rows, [false, true, true, true, true, true, true]),
    ...(r.sfp.matricesPath ? ['', `Matrices: ${r.sfp.matricesPath}`] : []),
    '',
    timingsLine(r),
    ...notes(r),
  ];
}

function renderPrune(r: PruneReport): string[] {
  const rows = r.layers
    .filter((l) => l.targeted || l.before.zeros !== l.after.zeros)
    .map((l) => [l.name, l.className, fmt.int(l.before.params), fmt.pct(l.before.sparsity, 1), fmt.pct(l.after.sparsity, 1), l.after.filters === null ? '-' : `${l.before.filters} → ${l.after.filters}`, `${fmt.short(l.before.macs)} → ${fmt.short(l.after.macs)}`]);
  const a = r.accuracy;
  return [
    header(r),
    `Method ${r.method}, seed ${r.seed}; targeted sparsity ${fmt.pct(r.targetedSparsity, 1)}, whole model ${fmt.pct(r.totals.after.sparsity, 1)}`,
    '',
    table(['Layer', 'Class', 'Params', 'Sparsity before', 'after', 'Filters', 'MACs'], rows, [false, false, true, true, true, true, true]),
    '',
    accuracyLine('Before:        ', a.before),
    ...(a.afterMask ? [accuracyLine('After masking: ', a.afterMask)] : []),
    ...(a.afterBnRecalibration ? [accuracyLine('BN re-est.:    ', a.afterBnRecalibration)] : []),
    accuracyLine('After:         ', a.after),
    ...structuredLines(r),
    '',
    r.output ? `Wrote ${r.output.path} (${r.output.format}, ${fmt.bytes(r.output.bytes)}, ${fmt.bytes(r.output.gzipBytes)} gzipped; ${r.output.verified ? 'reloaded and verified' : 'NOT verified'})` : 'No model written (dry run).',
    timingsLine(r),
    ...notes(r),
  ];
}

/** --structured: widths, params, MACs and bytes of the written model against the input; latency. */
function structuredLines(r: PruneReport): string[] {
  const lines: string[] = [];
  const st = r.structured;
  if (st) {
    const rows = st.layers.map((l) => [l.name, `${l.filtersBefore} → ${l.filtersAfter}`, `${fmt.int(l.paramsBefore)} → ${fmt.int(l.paramsAfter)}`, `${fmt.short(l.macsBefore)} → ${fmt.short(l.macsAfter)}`]);
    lines.push('', table(['Layer (structured)', 'Filters', 'Params', 'MACs'], rows, [false, true, true, true]));
    lines.push(`Params ${fmt.int(st.params.before)} → ${fmt.int(st.params.after)}, MACs ${fmt.short(st.macs.before)} → ${fmt.short(st.macs.after)}, file ${fmt.bytes(st.bytes.before)} → ${fmt.bytes(st.bytes.after)}`);
  }
  for (const l of r.latency ?? []) {
    const fastest = l.beforeMinMs !== undefined && l.afterMinMs !== undefined ? `; fastest ${l.beforeMinMs.toFixed(2)} → ${l.afterMinMs.toFixed(2)} ms` : '';
    lines.push(`Latency batch ${l.batch}: ${l.beforeMs.toFixed(2)} ms → ${l.afterMs.toFixed(2)} ms (median of ${l.runs ?? '?'}${fastest}; ${r.backend})`);
  }
  return lines;
}

function renderCompare(r: CompareReport): string[] {
  const rows = r.rows.map((row) => [
    row.method,
    fmt.pct(row.targetedSparsity, 1),
    fmt.pct(row.totalSparsity, 1),
    fmt.pct(row.accuracy.top1),
    row.accuracyBnRecalibrated ? fmt.pct(row.accuracyBnRecalibrated.top1) : '-',
    row.accuracyFinetuned ? fmt.pct(row.accuracyFinetuned.top1) : '-',
  ]);
  return [
    header(r),
    accuracyLine('Unpruned: ', r.baseline),
    '',
    table(['Method', 'Targeted sparsity', 'Total sparsity', 'Top-1', 'BN re-est.', 'Fine-tuned'], rows, [false, true, true, true, true, true]),
    '',
    timingsLine(r),
    ...notes(r),
  ];
}

export function renderReport(report: Report): string {
  switch (report.kind) {
    case 'inspect': return renderInspect(report).join('\n');
    case 'eval': return renderEval(report).join('\n');
    case 'analyze': return renderAnalyze(report).join('\n');
    case 'prune': return renderPrune(report).join('\n');
    case 'compare': return renderCompare(report).join('\n');
  }
}
