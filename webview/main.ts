// The panel page: receives validated host messages, keeps view state across hide/reload
// (getState/setState), and renders the report views. Entry of dist/webview.js.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import type { Report } from '../src/protocol/report';
import type { OutcomeLine, PanelState, RunSummary, WebviewToHost } from '../src/protocol/webview';
import { h } from './dom';
import { parseHostMessage } from './hostMessages';
import { layerRows, sfpOf, type SortKey } from './layerRows';
import type { FilterOrder } from './sfp/connections';
import { renderCurves } from './views/curves';
import { renderDiff, renderHistory } from './views/history';
import { renderLayerTable } from './views/layers';
import { renderOverview } from './views/overview';
import { renderJobs, type RunningJob } from './views/progress';
import { renderSfpDetail, type MatricesState, type SfpDetail } from './views/sfpDetail';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** Outside VS Code (the e2e responsiveness page) messages go to window.quenchOutbox instead. */
function hostApi(): VsCodeApi {
  if (typeof acquireVsCodeApi === 'function') return acquireVsCodeApi();
  const outbox: WebviewToHost[] = ((window as unknown as { quenchOutbox: WebviewToHost[] }).quenchOutbox = []);
  let state: unknown;
  return { postMessage: (m) => outbox.push(m), getState: () => state, setState: (s) => (state = s) };
}

interface ViewState extends PanelState {
  sort: { key: SortKey; descending: boolean };
  order: FilterOrder;
  picked: string[];
}

const TABS = ['overview', 'layers', 'curves', 'history'] as const;
const vscode = hostApi();
const saved = vscode.getState() as Partial<ViewState> | undefined;
const state: ViewState = { sort: { key: 'order', descending: false }, order: 'index', picked: [], tab: 'overview', ...saved };
const view = document.body.dataset.view === 'modelSummary' ? 'modelSummary' : 'report';

let report: Report | undefined;
let outcome: OutcomeLine[] | undefined;
let history: RunSummary[] = [];
let diff: { left: Report; right: Report } | undefined;
const jobs = new Map<number, RunningJob>();
const matrices = new Map<string, MatricesState>();
let detail: { key: string; view: SfpDetail } | undefined;

const post = (m: WebviewToHost) => vscode.postMessage(m);
const save = () => vscode.setState(state);

function setBusy(painting: Promise<void>): void {
  document.body.dataset.renderState = 'busy';
  void painting.then(() => {
    document.body.dataset.renderState = 'idle';
    document.dispatchEvent(new CustomEvent('quench:idle'));
  });
}

function selectLayer(name: string, fromHost = false): void {
  state.selectedLayer = name;
  if (TABS.indexOf(state.tab as (typeof TABS)[number]) !== 1 && view === 'report') state.tab = 'layers';
  save();
  if (!fromHost) post({ type: 'selectLayer', name });
  render();
}

function layerDetail(): HTMLElement | null {
  const sfp = report && sfpOf(report);
  const layer = sfp?.layers.find((l) => l.name === state.selectedLayer);
  if (!report || !sfp || !layer || !state.runId) {
    detail?.view.dispose();
    detail = undefined;
    return state.selectedLayer ? h('p', { class: 'muted', 'data-testid': 'layer-detail' }, `${state.selectedLayer} was not analysed in this run: run Analyze to see its SFP view.`) : null;
  }
  const key = `${state.runId}\u0000${layer.name}`;
  let m = matrices.get(key);
  if (!m) {
    m = sfp.matricesPath ? { status: 'loading' } : { status: 'missing', reason: 'This run stored no per-filter matrices: the grid shows the cluster squares from the label sets.' };
    matrices.set(key, m);
    if (m.status === 'loading') post({ type: 'requestMatrices', runId: state.runId, layer: layer.name });
  }
  const detailKey = `${key}\u0000${state.order}\u0000${m.status}`;
  if (detail?.key !== detailKey) {
    detail?.view.dispose();
    detail = { key: detailKey, view: renderSfpDetail(sfp, layer, m, state.order, (order) => { state.order = order; save(); render(); }) };
    setBusy(detail.view.painted);
  }
  return detail.view.element;
}

function render(): void {
  const app = document.getElementById('app');
  if (!app) return;
  const jobsView = renderJobs([...jobs.values()], post);
  if (!report) {
    app.replaceChildren(...[jobsView, h('p', { class: 'muted' }, jobs.size ? '' : 'Open a run from the Models view or run Prune / Analyze to see its report here.')].filter((x): x is HTMLElement => x !== null));
    return;
  }
  const rows = layerRows(report);
  const table = renderLayerTable(rows, state.sort, state.selectedLayer, (sort) => { state.sort = sort; save(); render(); }, (name) => selectLayer(name));
  if (view === 'modelSummary') {
    app.replaceChildren(renderOverview(report, undefined, post, { exports: false }), h('h2', {}, 'Layers'), table);
    return;
  }
  const panels: Record<(typeof TABS)[number], HTMLElement[]> = {
    overview: [renderOverview(report, outcome, post, { exports: true })],
    layers: [table, ...[layerDetail()].filter((x): x is HTMLElement => x !== null)],
    curves: [renderCurves(report)],
    history: [renderHistory(history, state.runId, state.picked, (ids) => { state.picked = ids; save(); render(); }, post), ...(diff ? [renderDiff(diff.left, diff.right)] : [])],
  };
  const labels = { overview: 'Overview', layers: 'Layers', curves: 'Curves', history: 'History' };
  const tabs = h('vscode-tabs', { 'data-testid': 'tabs' },
    ...TABS.flatMap((t) => [h('vscode-tab-header', { slot: 'header', 'data-tab': t }, labels[t]), h('vscode-tab-panel', { 'data-tab': t }, ...panels[t])]),
  ) as HTMLElement & { selectedIndex: number };
  tabs.selectedIndex = Math.max(0, TABS.indexOf(state.tab as (typeof TABS)[number]));
  tabs.addEventListener('vsc-tabs-select', (e) => {
    state.tab = TABS[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex] ?? 'overview';
    save();
  });
  app.replaceChildren(...[jobsView, tabs].filter((x): x is HTMLElement => x !== null));
}

window.addEventListener('message', (event: MessageEvent) => {
  const m = parseHostMessage(event.data);
  if (!m) return;
  switch (m.type) {
    case 'report':
      if (m.runId !== state.runId) {
        state.selectedLayer = undefined;
        diff = undefined;
      }
      report = m.report;
      outcome = m.outcome;
      history = m.history;
      state.runId = m.runId;
      save();
      break;
    case 'diff':
      diff = { left: m.left, right: m.right };
      state.tab = 'history';
      break;
    case 'progress':
      jobs.set(m.jobId, { jobId: m.jobId, title: m.title, progress: m.progress });
      break;
    case 'jobEnded': {
      const job = jobs.get(m.jobId);
      if (job) job.ended = { outcome: m.outcome, message: m.message };
      setTimeout(() => { jobs.delete(m.jobId); render(); }, m.outcome === 'failed' ? 15000 : 4000);
      break;
    }
    case 'selectLayer':
      selectLayer(m.name, true);
      return;
    case 'theme':
      // Canvas colours come from theme variables: repaint the detail with the new palette.
      detail?.view.dispose();
      detail = undefined;
      break;
    case 'matrices':
      matrices.set(`${m.runId}\u0000${m.layer}`, { status: 'ready', data: m.data });
      break;
    case 'noMatrices':
      matrices.set(`${m.runId}\u0000${m.layer}`, { status: 'missing', reason: m.reason });
      break;
  }
  render();
});

// VS Code swaps the body class when the colour theme changes; repaint canvases with the new colours.
new MutationObserver(() => {
  detail?.view.dispose();
  detail = undefined;
  render();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

render();
post({ type: 'ready', state: { runId: state.runId, selectedLayer: state.selectedLayer, tab: state.tab } });
