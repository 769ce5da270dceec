// Validation of what the host posts: the page trusts nothing it has not checked.
import type { HostToWebview } from '../src/protocol/webview';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const REPORT_KINDS = new Set(['inspect', 'eval', 'analyze', 'prune', 'compare', 'sweep']);
const THEMES = new Set(['light', 'dark', 'high-contrast', 'high-contrast-light']);
const OUTCOMES = new Set(['done', 'failed', 'cancelled']);

/** A structural check of the report's spine; the fields each view reads are checked there. */
export function isReport(v: unknown): boolean {
  if (!isObj(v) || !REPORT_KINDS.has(v.kind as string) || !isObj(v.model) || !isStr(v.model.name) || !isStr(v.createdAt)) return false;
  if (!Array.isArray(v.timings) || !Array.isArray(v.notes)) return false;
  switch (v.kind) {
    case 'inspect':
      return Array.isArray(v.layers) && isObj(v.totals);
    case 'eval':
      return Array.isArray(v.layers) && isObj(v.totals) && isObj(v.accuracy);
    case 'analyze':
      return isObj(v.sfp) && Array.isArray(v.sfp.layers);
    case 'prune':
      return Array.isArray(v.layers) && isObj(v.totals) && isObj(v.totals.before) && isObj(v.totals.after) && isObj(v.accuracy) && isObj(v.accuracy.before) && isObj(v.accuracy.after) && (v.budget === undefined || isBudget(v.budget));
    case 'sweep':
      return Array.isArray(v.curves) && v.curves.every((c) => isObj(c) && isStr(c.method) && Array.isArray(c.points)) && isObj(v.baseline) && isNum(v.baseline.top1) && isObj(v.dataset);
    case 'compare':
      return Array.isArray(v.rows) && isObj(v.baseline);
  }
  return false;
}

function isBudget(b: unknown): boolean {
  if (!isObj(b) || !isNum(b.maxDrop) || !isObj(b.split) || !isNum(b.split.heldOut) || !isNum(b.split.calibration)) return false;
  if (!Array.isArray(b.attempts) || !isObj(b.sensitivity) || !Array.isArray(b.sensitivity.curves) || !Array.isArray(b.sensitivity.ladder)) return false;
  return isObj(b.heldOutBefore) && (b.chosen === null || (isObj(b.chosen) && isNum(b.chosen.verifiedDrop)));
}

export function parseHostMessage(data: unknown): HostToWebview | undefined {
  if (!isObj(data) || !isStr(data.type)) return undefined;
  const m = data;
  switch (m.type) {
    case 'report':
      return isStr(m.runId) && isReport(m.report) && Array.isArray(m.history) && (m.outcome === undefined || Array.isArray(m.outcome)) ? (m as HostToWebview) : undefined;
    case 'diff':
      return isReport(m.left) && isReport(m.right) ? (m as HostToWebview) : undefined;
    case 'progress':
      return isNum(m.jobId) && isStr(m.title) && isObj(m.progress) && isStr(m.progress.stage) ? (m as HostToWebview) : undefined;
    case 'jobEnded':
      return isNum(m.jobId) && OUTCOMES.has(m.outcome as string) && (m.message === undefined || isStr(m.message)) ? (m as HostToWebview) : undefined;
    case 'selectLayer':
      return isStr(m.name) ? (m as HostToWebview) : undefined;
    case 'theme':
      return THEMES.has(m.kind as string) ? (m as HostToWebview) : undefined;
    case 'matrices': {
      if (!isStr(m.runId) || !isStr(m.layer) || !isNum(m.classes) || !isNum(m.filters) || !(m.data instanceof Float32Array)) return undefined;
      return m.data.length === m.filters * m.classes * m.classes ? (m as HostToWebview) : undefined;
    }
    case 'noMatrices':
      return isStr(m.runId) && isStr(m.layer) && isStr(m.reason) ? (m as HostToWebview) : undefined;
  }
  return undefined;
}
