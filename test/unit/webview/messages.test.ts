import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostMessage } from '../../../webview/hostMessages';
import { parseWebviewMessage } from '../../../src/extension/panel/webviewMessages';
import { samplePrune } from './sampleReports';

test('host messages: valid ones pass, malformed ones are dropped', () => {
  assert.ok(parseHostMessage({ type: 'report', runId: 'r1', report: samplePrune, history: [] }));
  assert.equal(parseHostMessage({ type: 'report', runId: 'r1', report: { ...samplePrune, kind: 'nope' }, history: [] }), undefined);
  assert.equal(parseHostMessage({ type: 'report', runId: 'r1', report: { ...samplePrune, totals: undefined }, history: [] }), undefined);
  assert.equal(parseHostMessage({ type: 'progress', jobId: '1', title: 't', progress: { stage: 's' } }), undefined);
  assert.ok(parseHostMessage({ type: 'progress', jobId: 1, title: 't', progress: { stage: 'sfp', epoch: 2 } }));
  assert.equal(parseHostMessage({ type: 'jobEnded', jobId: 1, outcome: 'exploded' }), undefined);
  assert.ok(parseHostMessage({ type: 'matrices', runId: 'r', layer: 'c', classes: 2, filters: 3, data: new Float32Array(12) }));
  assert.equal(parseHostMessage({ type: 'matrices', runId: 'r', layer: 'c', classes: 2, filters: 3, data: new Float32Array(11) }), undefined, 'length must match');
  assert.equal(parseHostMessage({ type: 'matrices', runId: 'r', layer: 'c', classes: 2, filters: 3, data: new Array(12).fill(0) }), undefined, 'typed array only');
  assert.equal(parseHostMessage(null), undefined);
  assert.equal(parseHostMessage({ type: 'unknown' }), undefined);
});

test('webview messages: the host keeps only well-formed fields', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready', state: { runId: 'a', selectedLayer: 'conv1', tab: 'layers' } }), { type: 'ready', state: { runId: 'a', selectedLayer: 'conv1', tab: 'layers' } });
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready', state: undefined });
  assert.equal(parseWebviewMessage({ type: 'ready', state: { runId: 5 } }), undefined);
  assert.deepEqual(parseWebviewMessage({ type: 'cancelJob', jobId: 3, extra: 'x' }), { type: 'cancelJob', jobId: 3 });
  assert.equal(parseWebviewMessage({ type: 'cancelJob', jobId: 1.5 }), undefined);
  assert.equal(parseWebviewMessage({ type: 'export', format: 'pdf' }), undefined);
  assert.deepEqual(parseWebviewMessage({ type: 'export', format: 'html', html: '<script>' }), { type: 'export', format: 'html' }, 'page-supplied HTML is not trusted');
  assert.equal(parseWebviewMessage({ type: 'rerun', command: 'rm -rf' }), undefined);
  assert.equal(parseWebviewMessage({ type: 'revealOutput', path: '' }), undefined);
  assert.deepEqual(parseWebviewMessage({ type: 'diffRuns', left: 'a', right: 'b' }), { type: 'diffRuns', left: 'a', right: 'b' });
  assert.equal(parseWebviewMessage('ready'), undefined);
});
