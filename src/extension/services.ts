// Contracts between the parts of the extension host (engine client, run store, panel).
import type * as vscode from 'vscode';
import type { EngineMethod, EngineRequests, JobProgress } from '../protocol/engine';
import type { Report } from '../protocol/report';
import type { RunSummary } from '../protocol/webview';

export interface RequestOptions {
  token?: vscode.CancellationToken;
  onProgress?: (progress: JobProgress) => void;
}

export interface EngineClientApi extends vscode.Disposable {
  request<M extends EngineMethod>(
    method: M,
    params: EngineRequests[M]['params'],
    options?: RequestOptions,
  ): Promise<EngineRequests[M]['result']>;
}

export interface StoredRun extends RunSummary {
  /** Absolute path of the report JSON under .quench/runs/. */
  file: string;
  modelPath: string;
}

export interface RunStoreApi {
  save(report: Report): Promise<StoredRun>;
  list(modelPath?: string): Promise<StoredRun[]>;
  read(id: string): Promise<Report>;
  latest(modelPath: string): Promise<StoredRun | undefined>;
  readonly onDidChange: vscode.Event<void>;
}

export interface PanelControllerApi extends vscode.Disposable {
  /** Opens (or reveals) the panel beside the active editor on a stored run. */
  showRun(runId: string, selectLayer?: string): Promise<void>;
  showProgress(jobId: number, title: string, progress: JobProgress): void;
  jobEnded(jobId: number, outcome: 'done' | 'failed' | 'cancelled', message?: string): void;
}
