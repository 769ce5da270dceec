// The report panel beside the editor: shows stored runs, live job progress, run diffs, and
// carries out what the page asks for (cancel, reveal, export, select a layer in the editor).
import * as vscode from 'vscode';
import type { JobProgress } from '../../protocol/engine';
import type { Report } from '../../protocol/report';
import type { HostToWebview, WebviewToHost } from '../../protocol/webview';
import type { EngineClientApi, PanelControllerApi, RunStoreApi } from '../services';
import { revealLayerInEditor } from '../editor/reveal';
import { describeOutcome } from '../report/outcome';
import { exportReport } from './exportReport';
import { MatricesCache } from './matrices';
import { REPORT_VIEW_TYPE, ReportPanel } from './reportPanel';

export interface PanelDeps {
  runs: RunStoreApi;
  engine: EngineClientApi;
  cancelJob(jobId: number): void;
}

const RERUN_COMMANDS = { prune: 'quench.pruneModel', analyze: 'quench.analyzeModel', compare: 'quench.compareMethods' } as const;

export class PanelController implements PanelControllerApi {
  private view?: ReportPanel;
  private report?: Report;
  private readonly matrices = new MatricesCache();
  /** Latest progress per running job, re-sent when the page reloads. */
  private readonly running = new Map<number, Extract<HostToWebview, { type: 'progress' }>>();

  constructor(private readonly extensionUri: vscode.Uri, private readonly deps: PanelDeps) {}

  /** Called by the serializer after a window reload: adopt the restored panel. */
  restore(panel: vscode.WebviewPanel, runId: string | undefined): void {
    this.view?.dispose();
    this.view = this.wrap(panel);
    this.view.runId = runId;
  }

  async showRun(runId: string, selectLayer?: string): Promise<void> {
    const report = await this.deps.runs.read(runId);
    const view = this.ensureView();
    view.panel.title = `Quench: ${report.model.name}`;
    view.panel.reveal(undefined, true);
    await this.sendReport(view, runId, report);
    if (selectLayer) view.post({ type: 'selectLayer', name: selectLayer });
  }

  showProgress(jobId: number, title: string, progress: JobProgress): void {
    const message = { type: 'progress' as const, jobId, title, progress };
    this.running.set(jobId, message);
    const view = this.ensureView();
    view.postLatest(message);
  }

  jobEnded(jobId: number, outcome: 'done' | 'failed' | 'cancelled', message?: string): void {
    this.running.delete(jobId);
    this.view?.post({ type: 'jobEnded', jobId, outcome, message });
  }

  private ensureView(): ReportPanel {
    if (this.view) return this.view;
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, 'Quench', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {});
    this.view = this.wrap(panel);
    return this.view;
  }

  private wrap(panel: vscode.WebviewPanel): ReportPanel {
    const view: ReportPanel = new ReportPanel(
      panel,
      this.extensionUri,
      (message) => void this.handle(view, message).catch((err: unknown) => void vscode.window.showErrorMessage(`Quench: ${(err as Error).message}`)),
      () => {
        if (this.view === view) this.view = undefined;
      },
    );
    return view;
  }

  private async sendReport(view: ReportPanel, runId: string, report: Report): Promise<void> {
    const history = await this.deps.runs.list(report.model.path);
    view.runId = runId;
    this.report = report;
    view.post({ type: 'report', runId, report, history, outcome: describeOutcome(report) });
  }

  private async handle(view: ReportPanel, message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const runId = view.runId ?? message.state?.runId;
        if (runId) {
          const report = await this.deps.runs.read(runId).catch(() => undefined);
          if (report) await this.sendReport(view, runId, report);
        }
        for (const progress of this.running.values()) view.postLatest(progress);
        return;
      }
      case 'cancelJob':
        this.deps.cancelJob(message.jobId);
        return;
      case 'revealOutput': {
        // Only paths this host put on screen are revealed.
        const allowed = [this.report?.model.path, this.report?.kind === 'prune' ? this.report.output?.path : undefined];
        if (!allowed.includes(message.path)) return;
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(message.path));
        return;
      }
      case 'selectLayer':
        if (this.report) await revealLayerInEditor(this.report.model.path, message.name);
        return;
      case 'openRun':
        await this.showRun(message.runId);
        return;
      case 'diffRuns': {
        const [left, right] = await Promise.all([this.deps.runs.read(message.left), this.deps.runs.read(message.right)]);
        view.post({ type: 'diff', left, right });
        return;
      }
      case 'export': {
        if (!this.report) return;
        const file = await exportReport(this.report, message.format);
        const open = await vscode.window.showInformationMessage(`Quench: report written to ${file}`, 'Open');
        if (open) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.One });
        return;
      }
      case 'rerun':
        if (this.report) await vscode.commands.executeCommand(RERUN_COMMANDS[message.command], vscode.Uri.file(this.report.model.path));
        return;
      case 'requestMatrices': {
        if (!this.report || message.runId !== view.runId) return;
        const result = await this.matrices.layer(this.report, message.layer);
        if (result.ok) view.post({ type: 'matrices', runId: message.runId, layer: message.layer, classes: result.classes, filters: result.filters, data: result.data });
        else view.post({ type: 'noMatrices', runId: message.runId, layer: message.layer, reason: result.reason });
        return;
      }
    }
  }

  dispose(): void {
    this.view?.dispose();
    this.view = undefined;
  }
}
