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
import { classNamesOf } from './classes';
import type { ReadingTarget } from './views/sfpDetail';
import { h } from './dom';
import { parseHostMessage } from './hostMessages';
import { layerRows, sfpOf, type SortKey } from './layerRows';
import type { FilterOrder } from './sfp/connections';
import { renderCurves } from './views/curves';
import { renderDiff, renderHistory } from './views/history';
import { layerTableShape, renderLayerTable } from './views/layers';
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
type Tab = (typeof TABS)[number];
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
/** The page's fixed frame: job progress on top, then the tabs; panels are filled when first shown. */
let shell: { jobs: HTMLElement; panels: Partial<Record<Tab, HTMLElement>>; built: Set<Tab> } | undefined;

const post = (m: WebviewToHost) => vscode.postMessage(m);
const save = () => vscode.setState(state);

function setBusy(painting: Promise<void>): void {
  document.body.dataset.renderState = 'busy';
  void painting.then(() => {
    if (detail && detail.view.painted !== painting) return; // a newer paint owns the state
    document.body.dataset.renderState = 'idle';
    document.dispatchEvent(new CustomEvent('quench:idle'));
  });
}

function selectLayer(name: string, fromHost = false): void {
  state.selectedLayer = name;
  if (view === 'report' && state.tab !== 'layers') {
    state.tab = 'layers';
    const tabs = document.querySelector('vscode-tabs') as (HTMLElement & { selectedIndex: number }) | null;
    if (tabs) tabs.selectedIndex = TABS.indexOf('layers');
  }
  save();
  if (!fromHost) post({ type: 'selectLayer', name });
  if (shell) renderPanel('layers');
  else render();
}

/** The pruned layers whose in-channels the unit `name` judged, with what the engine kept. */
function readersOf(shown: Report, name: string): ReadingTarget[] {
  if (shown.kind !== 'prune') return [];
  return shown.layers.flatMap((l) => (l.decision && l.decision.inputUnits.includes(name) ? [{ name: l.name, decision: l.decision }] : []));
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
  if (detail?.key !== key) {
    detail?.view.dispose();
    detail = {
      key,
      view: renderSfpDetail(sfp, layer, m, state.order, (order) => {
        state.order = order;
        save();
        detail?.view.setOrder(order);
        if (detail) setBusy(detail.view.painted);
      }, classNamesOf(report), readersOf(report, layer.name)),
    };
    setBusy(detail.view.painted);
  }
  return detail.view.element;
}

function panelContent(tab: Tab): HTMLElement[] {
  if (!report) return [];
  switch (tab) {
    case 'overview':
      return [renderOverview(report, outcome, post, { exports: true })];
    case 'layers': {
      const table = renderLayerTable(layerRows(report), state.sort, state.selectedLayer, (sort) => { state.sort = sort; save(); renderPanel('layers'); }, (name) => selectLayer(name), window.innerWidth);
      return [table, ...[layerDetail()].filter((x): x is HTMLElement => x !== null)];
    }
    case 'curves':
      return [renderCurves(report)];
    case 'history':
      return [renderHistory(history, state.runId, state.picked, (ids) => { state.picked = ids; save(); renderPanel('history'); }, post), ...(diff ? [renderDiff(diff.left, diff.right)] : [])];
  }
}

/** Rebuilds one tab's panel (only when it is shown; hidden panels are rebuilt when selected). */
function renderPanel(tab: Tab): void {
  if (!shell) return;
  const panel = shell.panels[tab];
  if (!panel) return;
  if (state.tab !== tab) {
    shell.built.delete(tab);
    return;
  }
  panel.replaceChildren(...panelContent(tab));
  shell.built.add(tab);
}

function renderJobsView(): void {
  shell?.jobs.replaceChildren(...[renderJobs([...jobs.values()], post)].filter((x): x is HTMLElement => x !== null));
}

/** Builds the whole page: after a new report, diff or history, never for a layer or matrices change. */
function render(): void {
  clearTimeout(renderQueued);
  const app = document.getElementById('app');
  if (!app) return;
  if (!report) {
    shell = undefined;
    app.replaceChildren(...[renderJobs([...jobs.values()], post), h('p', { class: 'muted' }, jobs.size ? '' : 'Open a run from the Models view or run Prune / Analyze to see its report here.')].filter((x): x is HTMLElement => x !== null));
    return;
  }
  if (view === 'modelSummary') {
    shell = undefined;
    const table = renderLayerTable(layerRows(report), state.sort, state.selectedLayer, (sort) => { state.sort = sort; save(); render(); }, (name) => selectLayer(name), window.innerWidth);
    app.replaceChildren(renderOverview(report, undefined, post, { exports: false }), h('h2', {}, 'Layers'), table);
    return;
  }
  const labels: Record<Tab, string> = { overview: 'Overview', layers: 'Layers', curves: 'Curves', history: 'History' };
  const panels: Partial<Record<Tab, HTMLElement>> = {};
  const tabs = h('vscode-tabs', { 'data-testid': 'tabs' },
    ...TABS.flatMap((t) => [h('vscode-tab-header', { slot: 'header', 'data-tab': t }, labels[t]), (panels[t] = h('vscode-tab-panel', { 'data-tab': t }))]),
  ) as HTMLElement & { selectedIndex: number };
  if (!TABS.includes(state.tab as Tab)) state.tab = 'overview';
  tabs.selectedIndex = TABS.indexOf(state.tab as Tab);
  tabs.addEventListener('vsc-tabs-select', (e) => {
    state.tab = TABS[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex] ?? 'overview';
    save();
    if (!shell?.built.has(state.tab as Tab)) renderPanel(state.tab as Tab);
  });
  shell = { jobs: h('div', { class: 'jobs-host' }), panels, built: new Set() };
  renderJobsView();
  app.replaceChildren(shell.jobs, tabs);
  // The tabs' frame in this task, the shown panel's content in the next: two short tasks.
  const built = shell;
  setTimeout(() => {
    if (shell === built && !built.built.has(state.tab as Tab)) renderPanel(state.tab as Tab);
  }, 0);
}

let renderQueued = 0;
function renderSoon(): void {
  clearTimeout(renderQueued);
  renderQueued = window.setTimeout(render, 0);
}

/** New matrices for a layer: only the open detail of that layer repaints. */
function matricesArrived(key: string, m: MatricesState): void {
  matrices.set(key, m);
  if (detail?.key !== key) return;
  detail.view.setMatrices(m);
  setBusy(detail.view.painted);
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
      detail?.view.dispose();
      detail = undefined;
      report = m.report;
      outcome = m.outcome;
      history = m.history;
      state.runId = m.runId;
      save();
      // Receiving a large report (its structured clone) is one task; building the page the next.
      renderSoon();
      return;
    case 'diff':
      diff = { left: m.left, right: m.right };
      state.tab = 'history';
      render();
      return;
    case 'progress':
      jobs.set(m.jobId, { jobId: m.jobId, title: m.title, progress: m.progress });
      if (shell) renderJobsView();
      else render();
      return;
    case 'jobEnded': {
      const job = jobs.get(m.jobId);
      if (job) job.ended = { outcome: m.outcome, message: m.message };
      const refresh = () => (shell ? renderJobsView() : render());
      setTimeout(() => { jobs.delete(m.jobId); refresh(); }, m.outcome === 'failed' ? 15000 : 4000);
      refresh();
      return;
    }
    case 'selectLayer':
      selectLayer(m.name, true);
      return;
    case 'theme':
      repaintForTheme();
      return;
    case 'matrices':
      matricesArrived(`${m.runId}\u0000${m.layer}`, { status: 'ready', data: m.data });
      return;
    case 'noMatrices':
      matricesArrived(`${m.runId}\u0000${m.layer}`, { status: 'missing', reason: m.reason });
      return;
  }
});

/** The panel was resized: the layer table rebuilds only when other columns fit now. */
function refitLayerTable(): void {
  const table = document.querySelector<HTMLElement>('table.layers');
  if (!report || !table) return;
  if (table.dataset.shape === layerTableShape(layerRows(report), state.sort, window.innerWidth)) return;
  if (view === 'modelSummary') render();
  else renderPanel('layers');
}

let refitQueued = 0;
window.addEventListener('resize', () => {
  clearTimeout(refitQueued);
  refitQueued = window.setTimeout(refitLayerTable, 100);
  // A hidden Layers panel is rebuilt at its next showing, at the width of then.
  if (shell && state.tab !== 'layers') shell.built.delete('layers');
});

// Canvas colours come from theme variables: repaint the detail with the new palette.
function repaintForTheme(): void {
  detail?.view.dispose();
  detail = undefined;
  if (shell) renderPanel('layers');
  else render();
}

// VS Code swaps the body class when the colour theme changes.
new MutationObserver(repaintForTheme).observe(document.body, { attributes: true, attributeFilter: ['class'] });

render();
post({ type: 'ready', state: { runId: state.runId, selectedLayer: state.selectedLayer, tab: state.tab } });
