// The Markdown and HTML exports carry the same budget and sweep sections as the panel: the verified
// drop against the budget with the split, the winner, every attempt, the allocation, the heat map
// as a table per method, and the charts with the budget line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PruneReport } from '../../../src/protocol/report';
import { reportTitle } from '../../../src/extension/report/document';
import { formatDrop } from '../../../src/extension/report/format';
import { reportToHtml } from '../../../src/extension/report/html';
import { reportToMarkdown } from '../../../src/extension/report/markdown';
import { describeOutcome } from '../../../src/extension/report/outcome';
import { sampleBudget, sampleBudgetPrune, sampleSweep } from './budgetReports';

test('Markdown of a budgeted prune states the verified drop, the split, the winner and every attempt', () => {
  const md = reportToMarkdown(sampleBudgetPrune);
  assert.match(md, /\| Budget \| verified held-out drop 0\.40 pp within the budget of 0\.5 pp, 84\.0% of the parameters removed \|/);
  assert.match(md, /^## Accuracy budget: 0\.5 pp of top-1$/m);
  assert.match(md, /Held-out top-1 90\.50% → 90\.10%, measured on 1,000 held-out images the search never saw \(one image is 0\.10 pp\); every search decision used the other 1,000 calibration images \(stratified split, seed 1\)/);
  assert.match(md, /^afcc won by 3\.0 pp of the parameters over magnitude\.$/m);
  assert.match(md, /^\| afcc \(written\) \| 0\.90 \| 84\.0% \| 0\.32 pp \| 0\.40 pp \| yes \|$/m);
  assert.match(md, /^\| afcc \| 1\.00 \| 90\.0% \| 0\.64 pp \| 0\.80 pp \| no \|$/m);
  assert.match(md, /^\| conv2d_7 \| 81\.0% \|$/m);
  assert.match(md, /^### Sensitivity \(magnitude\): calibration top-1 drop \(pp\), one layer pruned alone$/m);
  assert.match(md, /^\| conv2d_7 \| 0\.00 \| 0\.20 \| 0\.90 \| 4\.00 \|$/m);
  const none = reportToMarkdown({ ...sampleBudgetPrune, budget: { ...sampleBudget, chosen: null, heldOutAfter: null }, output: null } as PruneReport);
  assert.match(none, /\| Budget \| no attempt kept held-out top-1 within 0\.5 pp; no model was written \|/);
  assert.equal(formatDrop(0.401), '0.41 pp', 'rounded up: never less than measured');
  assert.equal(describeOutcome(sampleBudgetPrune)[0].text, 'Top-1 on 1,000 held-out images the search never saw dropped 0.40 pp: within the 0.5 pp budget.');
  assert.match(describeOutcome({ ...sampleBudgetPrune, budget: { ...sampleBudget, chosen: null } })[0].text, /^No allocation kept top-1 on 1,000 held-out images .* within the 0\.5 pp budget: no model was written\.$/);
});

test('HTML of a budgeted prune draws the attempts chart with its budget line', () => {
  const html = reportToHtml(sampleBudgetPrune);
  assert.ok(html.includes('Held-out top-1 of each attempt against the parameters removed'));
  const line = html.match(/<line class="hline budget"[^>]*y1="([\d.]+)"/);
  const base = html.match(/<line class="hline baseline"[^>]*y1="([\d.]+)"/);
  assert.ok(line && base, 'budget and baseline lines drawn');
  assert.ok(Number(line[1]) > Number(base[1]), 'the budget line lies below the unpruned line');
  assert.ok(html.includes('<title>budget −0.5 pp</title>'));
});

test('exports of a sweep: title, what fits the budget per method, the chart and every point', () => {
  const sweep = sampleSweep as unknown as PruneReport; // the union gains 'sweep' with the engine's sweep job
  assert.equal(reportTitle(sweep), 'Accuracy vs sparsity — mnist');
  const md = reportToMarkdown(sweep);
  assert.match(md, /^Within 0\.5 pp of 90\.00%: afcc up to 70\.0%, magnitude up to 90\.0%, random-afcc at no measured sparsity\.$/m);
  assert.match(md, /^\| magnitude \| 90\.0% \| 72\.0% \| 72\.0% \| 89\.60% \| −0\.40 pp \| — \| — \|$/m);
  assert.match(describeOutcome(sweep)[0].text, /^A sweep prunes copies in memory only/);
  const html = reportToHtml(sweep);
  assert.ok(/<line class="hline budget"/.test(html));
  assert.equal((html.match(/<path class="series/g) ?? []).length, 3, 'one curve per method');
});
