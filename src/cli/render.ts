// Human-readable renderings of each report kind (the --json output is the report itself).
import type { AccuracyResult, AnalyzeReport, BudgetSection, CompareReport, EvalReport, InspectReport, LayerStats, ModelTotals, PruneReport, Report, ReportBase, SweepReport } from '../protocol/report';
import { fmt, table } from './table';

function header(r: ReportBase): string {
  const m = r.model;
  return `${m.name}  (${m.format}, input ${fmt.shape(m.inputShape)}, ${m.classes} classes, backend ${r.backend}${r.evaluatedBy ? `, accuracy by ${r.evaluatedBy}` : ''})\n${m.path}`;
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
    ...(r.budget ? budgetLines(r.budget) : []),
    accuracyLine(r.budget ? 'Held-out before: ' : 'Before:        ', a.before),
    ...(a.afterMask ? [accuracyLine('After masking: ', a.afterMask)] : []),
    ...(a.afterBnRecalibration ? [accuracyLine('BN re-est.:    ', a.afterBnRecalibration)] : []),
    accuracyLine(r.budget ? 'Held-out after:  ' : 'After:         ', a.after),
    ...structuredLines(r),
    '',
    r.output ? `Wrote ${r.output.path} (${r.output.format}, ${fmt.bytes(r.output.bytes)}, ${fmt.bytes(r.output.gzipBytes)} gzipped; ${r.output.verified ? 'reloaded and verified' : 'NOT verified'})` : r.budget && !r.budget.chosen ? 'No model written: nothing met the budget.' : 'No model written (dry run).',
    timingsLine(r),
    ...notes(r),
  ];
}

const pp = (x: number) => `${x >= 0 ? '−' : '+'}${Math.abs(x).toFixed(2)} pp`;

/** --max-drop: the split, the scan, every attempt and the verified result. */
function budgetLines(b: BudgetSection): string[] {
  const rows = b.attempts.map((t) => [
    t.method,
    t.scale === 1 ? '1' : t.scale.toFixed(3),
    fmt.pct(t.removed, 1),
    `${t.predictedDrop.toFixed(2)} pp`,
    fmt.pct(t.calibrationTop1),
    fmt.pct(t.heldOutTop1),
    pp(t.verifiedDrop),
    t === b.chosen ? 'kept' : t.withinBudget ? 'within' : 'over',
  ]);
  const chosen = b.chosen;
  const layers = chosen ? Object.entries(chosen.layerSparsity).map(([l, s]) => `${l} ${fmt.pct(s, 1)}`).join(', ') : '';
  const c = b.sensitivity.cache;
  return [
    `Budget: held-out top-1 within ${b.maxDrop} pp, most ${b.objective} removed; method ${b.requestedMethod}`,
    `Split (stratified, seed ${b.split.seed}): ${fmt.int(b.split.calibration)} calibration samples for the search, ${fmt.int(b.split.heldOut)} held out for the figure below`,
    `Sensitivity: ${b.sensitivity.curves.length} curves at ${b.sensitivity.ladder.map((s) => fmt.pct(s, 0)).join(', ')}${b.sensitivity.bnRecalibrated ? ', BatchNorm re-estimated' : ''}; cache ${c.hit ? 'hit' : 'miss'}${c.path ? ` (${c.path})` : ''}`,
    '',
    table(['Method', 'Scale', 'Removed', 'Predicted', 'Calibration', 'Held-out', 'Verified drop', ''], rows, [false, true, true, true, true, true, true, false]),
    '',
    chosen
      ? `Verified: ${chosen.method}, ${fmt.pct(chosen.removed, 1)} of the ${b.objective} removed, held-out drop ${chosen.verifiedDrop.toFixed(2)} pp (budget ${b.maxDrop} pp). Per layer: ${layers}`
      : `No attempt kept held-out top-1 within ${b.maxDrop} pp: nothing was written.`,
    ...(b.methods ? b.methods.map((m) => `  ${m.method}: ${m.best ? `${fmt.pct(m.best.removed, 1)} removed, held-out drop ${m.best.verifiedDrop.toFixed(2)} pp` : 'nothing within the budget'}`) : []),
    '',
  ];
}

function renderSweep(r: SweepReport): string[] {
  const base = r.baseline.top1;
  const within = (top1: number | undefined) => (r.maxDrop !== undefined && top1 !== undefined && (base - top1) * 100 <= r.maxDrop ? ' *' : '');
  const cell = (top1: number | undefined) => (top1 === undefined ? '-' : `${fmt.pct(top1)} (${pp((base - top1) * 100)})${within(top1)}`);
  const blocks = r.curves.flatMap((c) => [
    '',
    `${c.method}`,
    table(
      ['Sparsity', 'Targeted', `Removed (${r.objective})`, 'Top-1', 'BN re-est.', 'Fine-tuned'],
      c.points.map((p) => [fmt.pct(p.sparsity, 0), fmt.pct(p.targetedSparsity, 1), fmt.pct(p.removed, 1), cell(p.top1), cell(p.top1BnRecalibrated), cell(p.top1Finetuned)]),
      [true, true, true, true, true, true],
    ),
  ]);
  return [
    header(r),
    accuracyLine('Unpruned: ', r.baseline),
    ...blocks,
    ...(r.maxDrop !== undefined ? ['', `* within the budget of ${r.maxDrop} pp`] : []),
    '',
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
    lines.push(`Latency batch ${l.batch}: ${l.beforeMs.toFixed(2)} ms → ${l.afterMs.toFixed(2)} ms (median of ${l.runs ?? '?'}${fastest}; ${l.runtime ?? r.backend})`);
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
    case 'sweep': return renderSweep(report).join('\n');
  }
}
