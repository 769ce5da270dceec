import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportToHtml } from '../../../src/extension/report/html';
import { reportToMarkdown } from '../../../src/extension/report/markdown';
import { describeOutcome } from '../../../src/extension/report/outcome';
import { formatBytes, formatPointsDelta } from '../../../src/extension/report/format';
import { sampleCompare, samplePrune } from './sampleReports';
import { makeSyntheticVgg } from './syntheticVgg';

test('Markdown of a prune report carries the headline numbers', () => {
  const md = reportToMarkdown(samplePrune);
  assert.match(md, /^# Prune — mnist$/m);
  assert.match(md, /\| Parameters \| 24,155 → 24,155 \|/);
  assert.match(md, /\| Sparsity \| 0\.0% → 14\.3% \(targeted layers 75\.4%\) \|/);
  assert.match(md, /\| Top-1 \| 99\.12% → 98\.74% \(−0\.38 pp\) \|/);
  assert.match(md, /\| Size gzipped \| 86\.9 KiB → 75\.7 KiB \|/);
  // the conv2d_7 layer row: targeted, 4,065 params, 0% -> 75.0%
  assert.match(md, /\| conv2d_7 \| Conv2D \| yes \| 4,065 \| 0\.0% \| 75\.0% \| 15 \| 15 \|/);
  // SFP: SNR of a noiseless layer is infinite
  assert.match(md, /\| dense_5 \| 98\.74% \| 1 \| 1\.00 \| 0\.00 \| 1\.00 \| 1\.00 \| ∞ \| ∞ \| 0\.0% \|/);
  // a pipe inside a table cell is escaped so the row keeps its columns
  const piped = reportToMarkdown({ ...samplePrune, dataset: { ...samplePrune.dataset, path: '/ws/a|b' } });
  assert.match(piped, /\| Dataset \| \/ws\/a\\\|b \(test, 10,000 samples\) \|/);
  // accuracy stages, with the after-mask stage and its delta
  assert.match(md, /\| After masking \| 98\.01% \| −1\.11 pp \|/);
});

test('Markdown of a compare report has one row per method with its delta to the baseline', () => {
  const md = reportToMarkdown(sampleCompare);
  assert.match(md, /\| magnitude \| 75\.4% \| 14\.3% \| 96\.50% \| −2\.62 pp \| — \| 98\.01% \| 75\.0% \| 78\.0% \|/);
  assert.match(md, /\| random \| 75\.4% \| 14\.3% \| 50\.12% \| −49\.00 pp \|/);
});

test('HTML export is self-contained, escapes text and embeds the charts as SVG', () => {
  const html = reportToHtml({ ...samplePrune, notes: ['<script>alert(1)</script>'] });
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(!html.includes('<script>'), 'no script tag may survive');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(!/\s(src|href)="http/i.test(html), 'no external resources');
  const svgs = html.match(/<svg /g) ?? [];
  assert.equal(svgs.length, 3, 'per-class accuracy, readout accuracy and SNR charts');
  assert.ok(html.includes('<td class="num">4,065</td>'));
  assert.ok(html.includes('99.12% → 98.74% (−0.38 pp)'));
});

test('outcome is honest about masks versus physical removal', () => {
  const masked = describeOutcome(samplePrune).map((l) => l.text).join('\n');
  assert.match(masked, /3,448 weights set to zero/);
  assert.match(masked, /Nothing was physically removed/);
  assert.match(masked, /no speed-up/);
  assert.match(masked, /1\.50 ms → 1\.48 ms \(1\.01×\)/);
  const structured = describeOutcome({
    ...samplePrune,
    layers: samplePrune.layers.map((l) => (l.name === 'conv2d_7' ? { ...l, after: { ...l.after, filters: 11, params: 3000, macs: 291_060 } } : l)),
    totals: { ...samplePrune.totals, after: { ...samplePrune.totals.after, params: 23090, macs: 761_160 } },
    output: { ...samplePrune.output!, structured: true },
    latency: undefined,
  }).map((l) => l.text).join('\n');
  assert.match(structured, /4 dead filters were physically removed: parameters 24,155 → 23,090/);
  assert.match(structured, /MACs 867\.00 k → 761\.16 k \(−12\.2%\)/);
  assert.match(structured, /Latency was not measured/);
});

test('formatting helpers', () => {
  assert.equal(formatPointsDelta(0.0042), '+0.42 pp');
  assert.equal(formatPointsDelta(-0.00001), '±0.00 pp');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(5 * 1024 * 1024), '5.00 MiB');
});

test('exports of the 13-layer, 100-class synthetic VGG report', () => {
  const { report } = makeSyntheticVgg();
  const md = reportToMarkdown(report);
  const html = reportToHtml(report);
  assert.equal((md.match(/^\| conv\d+ \| Conv2D \| (yes)? \|/gm) ?? []).length, 13);
  // 100 per-class rows
  assert.equal((md.match(/^\| \d+ \| \d+\.\d% \| \d+\.\d% \|/gm) ?? []).length, 100);
  assert.ok(html.includes('Readout accuracy vs depth'));
});
