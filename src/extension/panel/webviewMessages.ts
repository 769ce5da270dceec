// Validation of what the panel posts to the host. A webview is a browser page: every field is
// checked before the host acts on it (paths especially: only paths the host itself sent are revealed).
import type { WebviewToHost } from '../../protocol/webview';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 4096;
const RERUN = new Set(['prune', 'analyze', 'compare']);
const FORMATS = new Set(['markdown', 'html', 'json']);

function parseState(v: unknown): boolean {
  if (v === undefined) return true;
  if (!isObj(v)) return false;
  return ['runId', 'selectedLayer', 'tab'].every((k) => v[k] === undefined || isStr(v[k]));
}

export function parseWebviewMessage(data: unknown): WebviewToHost | undefined {
  if (!isObj(data) || !isStr(data.type)) return undefined;
  const m = data;
  switch (m.type) {
    case 'ready':
      return parseState(m.state) ? { type: 'ready', state: m.state as { runId?: string; selectedLayer?: string; tab?: string } | undefined } : undefined;
    case 'cancelJob':
      return Number.isInteger(m.jobId) ? { type: 'cancelJob', jobId: m.jobId as number } : undefined;
    case 'revealOutput':
      return isStr(m.path) ? { type: 'revealOutput', path: m.path } : undefined;
    case 'selectLayer':
      return isStr(m.name) ? { type: 'selectLayer', name: m.name } : undefined;
    case 'openRun':
      return isStr(m.runId) ? { type: 'openRun', runId: m.runId } : undefined;
    case 'diffRuns':
      return isStr(m.left) && isStr(m.right) ? { type: 'diffRuns', left: m.left, right: m.right } : undefined;
    case 'export':
      return FORMATS.has(m.format as string) ? { type: 'export', format: m.format as 'markdown' | 'html' | 'json' } : undefined;
    case 'rerun':
      return RERUN.has(m.command as string) ? { type: 'rerun', command: m.command as 'prune' | 'analyze' | 'compare' } : undefined;
    case 'requestMatrices':
      return isStr(m.runId) && isStr(m.layer) ? { type: 'requestMatrices', runId: m.runId, layer: m.layer } : undefined;
  }
  return undefined;
}
