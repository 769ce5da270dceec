// Runs engine jobs for the commands: workspace trust, one job per model, a cancellable progress
// notification, a status-bar item, progress to the panel, the report saved to the run history,
// and no output file left behind by a cancelled or failed job.
import * as vscode from 'vscode';
import type { EngineErrorCode, EngineMethod, EngineRequests, JobProgress } from '../../protocol/engine';
import type { Report } from '../../protocol/report';
import type { EngineClientApi, PanelControllerApi, RunStoreApi, StoredRun } from '../services';
import type { QuenchLog } from '../log';
import { removeNewOutputs, snapshotOutputs } from './outputs';
import { refuseUntrusted } from './trust';

export type JobMethod = Exclude<EngineMethod, 'info' | 'probe' | 'inspect' | 'datasetDescriptor'>;

export interface JobRequest<M extends JobMethod> {
  method: M;
  params: EngineRequests[M]['params'];
  modelPath: string;
  /** Shown in the notification and status bar, e.g. "Pruning fashion-vgg (AFCC)". */
  title: string;
  /** Files the job may create; removed when it is cancelled or fails and they did not exist before. */
  outputs?: string[];
  /** What to do when the model already has a running job; default: ask. */
  ifBusy?: 'ask' | 'cancel' | 'refuse';
}

export type JobOutcome<R extends Report = Report> =
  | { outcome: 'done'; report: R; run: StoredRun }
  | { outcome: 'cancelled'; message: string }
  | { outcome: 'failed'; code: EngineErrorCode | 'bad-input'; message: string; file?: string }
  | { outcome: 'refused'; message: string };

export interface RunningJob {
  jobId: number;
  modelPath: string;
  method: JobMethod;
  title: string;
  progress?: JobProgress;
}

/** A job whose report was saved. */
export interface FinishedJob {
  modelPath: string;
  method: JobMethod;
  run: StoredRun;
}

interface ActiveJob extends RunningJob {
  cancellation: vscode.CancellationTokenSource;
  done: Promise<unknown>;
}

export class JobRunner implements vscode.Disposable {
  private readonly active = new Map<string, ActiveJob>();
  private nextJobId = 1;
  private readonly statusItem = vscode.window.createStatusBarItem('quench.job', vscode.StatusBarAlignment.Left, 50);
  private readonly finished = new vscode.EventEmitter<FinishedJob>();
  /** Fires when a job is done and its report saved (not when it failed or was cancelled). */
  readonly onDidFinishJob = this.finished.event;

  constructor(
    private readonly engine: EngineClientApi,
    private readonly runs: RunStoreApi,
    private readonly panel: () => PanelControllerApi | undefined,
    private readonly log: QuenchLog,
  ) {
    this.statusItem.name = 'Quench job';
    this.statusItem.command = 'quench.showJobProgress';
  }

  list(): RunningJob[] {
    return [...this.active.values()].map(({ jobId, modelPath, method, title, progress }) => ({ jobId, modelPath, method, title, progress }));
  }

  /** Cancels the job on `modelPath` (or every job); returns how many were asked to stop. */
  cancel(modelPath?: string): number {
    const jobs = [...this.active.values()].filter((j) => !modelPath || j.modelPath === modelPath);
    for (const job of jobs) job.cancellation.cancel();
    return jobs.length;
  }

  cancelById(jobId: number): boolean {
    const job = [...this.active.values()].find((j) => j.jobId === jobId);
    job?.cancellation.cancel();
    return Boolean(job);
  }

  async run<M extends JobMethod>(request: JobRequest<M>): Promise<JobOutcome<EngineRequests[M]['result']>> {
    const refusal = refuseUntrusted(request.title);
    if (refusal) return { outcome: 'refused', message: refusal };
    const busy = this.active.get(request.modelPath);
    if (busy) {
      const choice = request.ifBusy ?? 'ask';
      const replace =
        choice === 'cancel' ||
        (choice === 'ask' &&
          (await vscode.window.showWarningMessage(
            `"${busy.title}" is still running on this model. Cancel it and start "${request.title}"?`,
            { modal: true },
            'Cancel and Start',
          )) === 'Cancel and Start');
      if (!replace) return { outcome: 'refused', message: `"${busy.title}" is already running on this model.` };
      busy.cancellation.cancel();
      await busy.done;
    }
    const job: ActiveJob = {
      jobId: this.nextJobId++,
      modelPath: request.modelPath,
      method: request.method,
      title: request.title,
      cancellation: new vscode.CancellationTokenSource(),
      done: Promise.resolve(),
    };
    const result = this.execute(job, request);
    job.done = result.catch(() => undefined);
    this.active.set(request.modelPath, job);
    this.updateStatus();
    try {
      return await result;
    } finally {
      this.active.delete(request.modelPath);
      job.cancellation.dispose();
      this.updateStatus();
    }
  }

  private async execute<M extends JobMethod>(job: ActiveJob, request: JobRequest<M>): Promise<JobOutcome<EngineRequests[M]['result']>> {
    const outputs = await snapshotOutputs(request.outputs ?? []);
    const started = Date.now();
    this.log.info(`Job ${job.jobId} started: ${request.title} (${request.method} ${request.modelPath}).`);
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Quench: ${request.title}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => job.cancellation.cancel());
          let reported = 0;
          return this.engine.request(request.method, request.params, {
            token: job.cancellation.token,
            onProgress: (p) => {
              job.progress = p;
              const fraction = Math.max(reported, Math.min(1, p.fraction ?? reported));
              progress.report({ message: describeProgress(p), increment: (fraction - reported) * 100 });
              reported = fraction;
              this.updateStatus();
              this.panel()?.showProgress(job.jobId, request.title, p);
            },
          });
        },
      );
      const run = await this.runs.save(report);
      this.log.info(`Job ${job.jobId} done in ${((Date.now() - started) / 1000).toFixed(1)} s; report ${run.file}.`);
      this.panel()?.jobEnded(job.jobId, 'done');
      await this.showRun(run);
      this.finished.fire({ modelPath: request.modelPath, method: request.method, run });
      return { outcome: 'done', report: report as EngineRequests[M]['result'], run };
    } catch (error) {
      const code = (error as { code?: EngineErrorCode }).code ?? 'internal';
      const message = (error as Error).message ?? String(error);
      const leftovers = await removeNewOutputs(outputs);
      for (const file of leftovers) this.log.warn(`Removed a partial output the engine left: ${file}`);
      if (code === 'cancelled' || job.cancellation.token.isCancellationRequested) {
        this.log.info(`Job ${job.jobId} cancelled: ${request.title}.`);
        this.panel()?.jobEnded(job.jobId, 'cancelled');
        return { outcome: 'cancelled', message: `${request.title} was cancelled.` };
      }
      this.log.error(`Job ${job.jobId} failed (${code}): ${message}`);
      this.panel()?.jobEnded(job.jobId, 'failed', message);
      void vscode.window.showErrorMessage(`Quench: ${message}`, 'Show Log').then((pick) => {
        if (pick) this.log.show(true);
      });
      return { outcome: 'failed', code, message, file: (error as { file?: string }).file };
    }
  }

  private async showRun(run: StoredRun): Promise<void> {
    const panel = this.panel();
    if (!panel) return;
    try {
      await panel.showRun(run.id);
    } catch (error) {
      this.log.error(`Could not open the report panel: ${(error as Error).message}`);
    }
  }

  private updateStatus(): void {
    const jobs = [...this.active.values()];
    void vscode.commands.executeCommand('setContext', 'quench.jobRunning', jobs.length > 0);
    if (jobs.length === 0) {
      this.statusItem.hide();
      return;
    }
    const job = jobs[jobs.length - 1]!;
    const percent = job.progress?.fraction !== undefined ? ` ${Math.round(job.progress.fraction * 100)}%` : '';
    const more = jobs.length > 1 ? ` (+${jobs.length - 1})` : '';
    this.statusItem.text = `$(sync~spin) ${job.title}${percent}${more}`;
    this.statusItem.tooltip = job.progress ? `${job.title}: ${describeProgress(job.progress)} — click to show` : `${job.title} — click to show`;
    this.statusItem.show();
  }

  dispose(): void {
    this.cancel();
    this.statusItem.dispose();
    this.finished.dispose();
  }
}

export function describeProgress(p: JobProgress): string {
  const parts = [p.message ?? p.stage];
  if (p.layer) parts.push(p.layer);
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`);
  if (p.step !== undefined && p.steps) parts.push(`${p.step}/${p.steps}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)) parts.push(`about ${formatEta(p.etaSeconds)} left`);
  return parts.join(' · ');
}

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}
