// The panel's budget and sweep views rendered from typed reports: the summary states the verified
// held-out drop against the budget with the split sizes, the winner under auto and by how much,
// the attempts and the allocation; the heat map has a cell per layer and ladder step; the charts
// draw the budget line where the budget is. Also the page's check of what the host posts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PruneReport } from '../../../src/protocol/report';
import { byTestId, findAll, hasClass, installFakeDocument, isTag, type FakeElement } from './fakeDom';
import { sampleBudget, sampleBudgetPrune, sampleSweep } from './budgetReports';
import { dropText, renderBudgetCurves, renderBudgetSummary, renderSensitivity, renderSweep, withinBudget } from '../../../webview/views/budget';
import { renderOverview } from '../../../webview/views/overview';
import { renderCurves } from '../../../webview/views/curves';
import { parseHostMessage } from '../../../webview/hostMessages';

// The views build elements with the global document when called, not when imported.
installFakeDocument();

const text = (e: unknown) => (e as FakeElement | undefined)?.textContent ?? '';

/** Pixel y of a data value, read back from the chart's own grid lines (each carries its value). */
function yScale(chart: FakeElement): (value: number) => number {
  const grid = findAll(chart, (e) => e.tagName === 'line' && e.classList.includes('grid'));
  assert.ok(grid.length >= 2, 'the chart has grid lines');
  const [a, b] = [0, grid.length - 1].map((i) => ({ y: Number(grid[i].getAttribute('y1')), v: Number(grid[i].getAttribute('data-value')) }));
  return (value) => a.y + ((value - a.v) / (b.v - a.v)) * (b.y - a.y);
}

test('the summary states the verified held-out drop against the budget, and the split it was measured on', () => {
  const summary = renderBudgetSummary(sampleBudgetPrune, sampleBudget) as unknown as FakeElement;
  assert.equal(text(byTestId(summary, 'budget-verdict')), 'Verified held-out drop 0.40 pp within the budget of 0.5 pp — 84.0% of the parameters removed.');
  assert.ok(byTestId(summary, 'budget-verdict')!.classList.includes('within'));
  const split = text(byTestId(summary, 'budget-split'));
  assert.match(split, /^Held-out top-1 90\.50% → 90\.10%, measured on 1,000 held-out images the search never saw \(one image is 0\.10 pp\)/);
  assert.match(split, /the other 1,000 calibration images \(stratified split, seed 1\)/);
  assert.match(text(byTestId(summary, 'budget-how')), /allocation: greedy marginal gain over the sensitivity curves; 3 verified attempts\.$/);
});

test('under auto the summary says which method won and by how much', () => {
  const summary = renderBudgetSummary(sampleBudgetPrune, sampleBudget) as unknown as FakeElement;
  assert.equal(text(byTestId(summary, 'budget-winner')), "AFCC won by 3.0 pp of the parameters: 84.0% removed (verified drop 0.40 pp) against magnitude's 81.0% (0.30 pp).");
  const alone = { ...sampleBudget, methods: [{ method: 'afcc' as const, best: sampleBudget.chosen }, { method: 'magnitude' as const, best: null }] };
  assert.match(text(byTestId(renderBudgetSummary(sampleBudgetPrune, alone), 'budget-winner')), /^AFCC won: 84\.0% .*; magnitude met the budget at no scale\.$/);
  assert.equal(byTestId(renderBudgetSummary(sampleBudgetPrune, { ...sampleBudget, methods: undefined, requestedMethod: 'afcc' }), 'budget-winner'), undefined, 'one method: no contest to report');
});

test('the attempts table has every verified attempt and marks the one written; the allocation lists its layers', () => {
  const summary = renderBudgetSummary(sampleBudgetPrune, sampleBudget) as unknown as FakeElement;
  const rows = findAll(byTestId(summary, 'budget-attempts'), isTag('tr')).slice(1);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows.map((r) => r.children.map(text)), [
    ['AFCC', '1.00', '90.0%', '0.64', '0.80', 'no'],
    ['AFCC (written)', '0.90', '84.0%', '0.32', '0.40', 'yes'],
    ['magnitude', '1.00', '81.0%', '0.24', '0.30', 'yes'],
  ]);
  assert.deepEqual(rows.map((r) => r.classList.includes('chosen')), [false, true, false]);
  const allocation = findAll(byTestId(summary, 'budget-allocation'), isTag('tr')).slice(1);
  assert.deepEqual(allocation.map((r) => r.children.map(text)), [['conv2d_7', '4,065', '81.0%'], ['dense_5', '510', '70.0%']]);
});

test('a budget nothing met says so and claims no drop; a drop is never shown below what was measured', () => {
  const none = { ...sampleBudget, chosen: null, heldOutAfter: null };
  const summary = renderBudgetSummary({ ...sampleBudgetPrune, budget: none, output: null }, none) as unknown as FakeElement;
  assert.equal(text(byTestId(summary, 'budget-verdict')), 'No attempt kept held-out top-1 within 0.5 pp: no model was written.');
  assert.ok(byTestId(summary, 'budget-verdict')!.classList.includes('over'));
  assert.equal(byTestId(summary, 'budget-allocation'), undefined);
  assert.match(text(byTestId(summary, 'budget-split')), /^Held-out top-1 before pruning 90\.50%/);
  assert.equal(dropText(0.494), '0.50 pp', 'rounded up, never down');
  assert.equal(dropText(0.4), '0.40 pp');
  assert.equal(dropText(-0.1), '−0.10 pp', 'a gain');
  const over = { ...sampleBudget, chosen: { ...sampleBudget.chosen!, verifiedDrop: 0.6, withinBudget: false } };
  assert.match(text(byTestId(renderBudgetSummary(sampleBudgetPrune, over), 'budget-verdict')), /^Verified held-out drop 0\.60 pp over the budget of 0\.5 pp/);
  const gain = { ...sampleBudget, chosen: { ...sampleBudget.chosen!, verifiedDrop: -0.995 } };
  assert.equal(text(byTestId(renderBudgetSummary(sampleBudgetPrune, gain), 'budget-verdict')), 'Verified held-out drop −0.99 pp within the budget of 0.5 pp — 84.0% of the parameters removed; held-out top-1 rose.', 'a gain is not rounded up into a larger one');
});

test('the sensitivity heat map: a row per layer, a cell per ladder sparsity with its drop, the written sparsity outlined', () => {
  const map = renderSensitivity(sampleBudget.sensitivity, sampleBudget.chosen) as unknown as FakeElement;
  const afcc = byTestId(map, 'heatmap-afcc')!;
  assert.ok(byTestId(map, 'heatmap-magnitude'), 'one table per scanned method');
  assert.deepEqual(findAll(afcc, isTag('th')).filter((e) => e.getAttribute('scope') === 'col').map(text), ['Layer', '30%', '50%', '70%', '90%', 'Written']);
  const conv = findAll(afcc, (e) => e.getAttribute('data-layer') === 'conv2d_7')[0];
  const cells = findAll(conv, hasClass('heat'));
  assert.deepEqual(cells.map(text), ['0.0', '0.1', '0.6', '3.0']);
  assert.match(cells[2].getAttribute('aria-label')!, /^conv2d_7 at 70% sparsity: calibration top-1 89\.40%, drop 0\.60 pp$/);
  const heat = cells.map((c) => Number(c.style.getPropertyValue('--heat')));
  assert.equal(heat[3], 0.75, 'full colour is the largest drop (4 pp, magnitude): 3 pp is three quarters');
  assert.equal(Number(findAll(byTestId(map, 'heatmap-magnitude'), hasClass('heat')).at(-5)!.style.getPropertyValue('--heat')), 1, "magnitude's conv2d_7 at 90%");
  assert.ok(heat[0] < heat[1] && heat[1] < heat[2] && heat[2] < heat[3], `colour grows with the drop: ${heat}`);
  // conv2d_7 was written at 81%: the 70% step is the ladder step it reached.
  assert.deepEqual(cells.map((c) => c.classList.includes('allocated')), [false, false, true, false]);
  assert.equal(text(conv.children.at(-1)), '81.0%');
  assert.equal(findAll(byTestId(map, 'heatmap-magnitude'), hasClass('allocated')).length, 0, 'magnitude was not written');
});

test('the sweep chart draws the budget line at baseline − budget and the unpruned line at the baseline', () => {
  const section = renderSweep(sampleSweep) as unknown as FakeElement;
  const chart = findAll(section, isTag('svg'))[0];
  assert.equal(chart.getAttribute('role'), 'img');
  assert.match(chart.getAttribute('aria-label')!, /per method/);
  const y = yScale(chart);
  const budget = byTestId(chart, 'budget-line')!;
  const baseline = byTestId(chart, 'baseline-line')!;
  assert.ok(Math.abs(Number(budget.getAttribute('y1')) - y(0.895)) < 0.15, `budget line at ${budget.getAttribute('y1')}, expected ${y(0.895).toFixed(1)}`);
  assert.ok(Math.abs(Number(baseline.getAttribute('y1')) - y(0.9)) < 0.15);
  assert.equal(budget.getAttribute('aria-label'), 'budget −0.5 pp (89.50%)');
  // One line per method, named in the legend; the random control drawn too.
  assert.deepEqual(findAll(chart, (e) => e.tagName === 'path' && e.classList.includes('series')).length, 3);
  assert.equal(text(byTestId(section, 'sweep-within')), 'Within 0.5 pp of 90.00%: AFCC up to 70.0%, magnitude up to 90.0%, random-AFCC at no measured sparsity.');
  assert.deepEqual(withinBudget({ ...sampleSweep, maxDrop: undefined }), []);
  assert.equal(byTestId(renderSweep({ ...sampleSweep, maxDrop: undefined }), 'budget-line'), undefined, 'no budget given: no budget line');
  assert.equal(findAll(byTestId(section, 'sweep-table'), isTag('tr')).length, 1 + 4 + 4 + 2);
});

test("the budget's own curve: every attempt's held-out top-1 against the share removed, with the budget line", () => {
  const chart = renderBudgetCurves(sampleBudget) as unknown as FakeElement;
  const y = yScale(chart);
  assert.ok(Math.abs(Number(byTestId(chart, 'budget-line')!.getAttribute('y1')) - y(0.9)) < 0.15, 'held-out baseline 90.5% − 0.5 pp');
  const dots = findAll(chart, (e) => e.tagName === 'circle');
  assert.equal(dots.length, 3);
  // Attempts within the budget sit on or above the line (smaller y), the one over it below.
  const line = Number(byTestId(chart, 'budget-line')!.getAttribute('y1'));
  const over = dots.filter((d) => Number(d.getAttribute('cy')) > line + 0.01);
  assert.equal(over.length, 1);
});

test('the overview and curves tabs carry the budget; a sweep report gets its own cards and chart', () => {
  const overview = renderOverview(sampleBudgetPrune, undefined, () => undefined, { exports: true }) as unknown as FakeElement;
  assert.ok(byTestId(overview, 'budget-summary'));
  assert.equal(text(byTestId(overview, 'budget')), 'Budget0.40 pp of 0.5 pp within');
  const plain = renderOverview({ ...sampleBudgetPrune, budget: undefined } as PruneReport, undefined, () => undefined, { exports: true });
  assert.equal(byTestId(plain, 'budget-summary'), undefined);
  const curves = renderCurves(sampleBudgetPrune) as unknown as FakeElement;
  assert.ok(byTestId(curves, 'sensitivity') && byTestId(curves, 'budget-line'));
  const sweepReport = sampleSweep as unknown as PruneReport; // the union gains 'sweep' with the engine's sweep job
  const sweepOverview = renderOverview(sweepReport, undefined, () => undefined, { exports: true }) as unknown as FakeElement;
  assert.equal(text(byTestId(sweepOverview, 'within-magnitude')), 'magnitude within 0.5 pp' + 'up to 90.0%');
  assert.ok(byTestId(renderCurves(sweepReport), 'sweep'));
});

test('the page accepts budget and sweep reports from the host and refuses malformed ones', () => {
  const msg = (report: unknown) => ({ type: 'report', runId: 'r', report, history: [] });
  assert.ok(parseHostMessage(msg(sampleBudgetPrune)));
  assert.ok(parseHostMessage(msg(sampleSweep)));
  assert.equal(parseHostMessage(msg({ ...sampleBudgetPrune, budget: { ...sampleBudget, split: undefined } })), undefined);
  assert.equal(parseHostMessage(msg({ ...sampleBudgetPrune, budget: { ...sampleBudget, chosen: { method: 'afcc' } } })), undefined);
  assert.equal(parseHostMessage(msg({ ...sampleSweep, curves: [{ method: 'afcc' }] })), undefined);
});
