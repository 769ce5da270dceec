// The run history: one report JSON per run in <workspace folder>/.quench/runs/, named
// <timestamp>-<model>.json, so it can be committed or ignored like any project file.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { Report, SweepReport } from '../../protocol/report';
import type { RunSummary } from '../../protocol/webview';
import type { RunStoreApi, StoredRun } from '../services';
import { modelDisplayName } from '../models/discovery';
import { writeJsonAtomically } from './atomicJson';

export const RUNS_FOLDER = path.join('.quench', 'runs');

export function summarizeRun(id: string, report: Report): RunSummary {
  const summary: RunSummary = { id, kind: report.kind, createdAt: report.createdAt };
  if (report.kind === 'prune') {
    summary.method = report.method;
    summary.sparsity = report.totals.after.sparsity;
    summary.top1Delta = report.accuracy.after.top1 - report.accuracy.before.top1;
  } else if (report.kind === 'compare') {
    summary.method = report.rows.map((r) => r.method).join(', ');
  } else if (report.kind === 'inspect') {
    summary.sparsity = report.totals.sparsity;
  } else if (report.kind === 'eval') {
    summary.sparsity = report.totals.sparsity;
  } else if ((report as { kind: string }).kind === 'sweep') {
    summary.method = (report as unknown as SweepReport).curves.map((c) => c.method).join(', ');
  }
  return summary;
}

/** The folder whose .quench/ holds a model's runs: its workspace folder, else the first one. */
export function stateRootFor(modelPath: string): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(modelPath)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.fsPath;
}

/**
 * Where a prune or analyze job writes its SFP per-filter matrices (binary side file, read layer by
 * layer by the panel): beside the run reports, named like them, so the history keeps both. The
 * folder is created now, so a failed job's clean-up removes the file only, never the shared folder.
 */
export async function matricesPathFor(modelPath: string, kind: 'prune' | 'analyze'): Promise<string | undefined> {
  const root = stateRootFor(modelPath);
  if (!root) return undefined;
  const dir = path.join(root, RUNS_FOLDER);
  await fs.mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const safeName = modelDisplayName(modelPath).replace(/[^\w.-]+/g, '_');
  return path.join(dir, `${stamp}-${kind}-${safeName}.sfp`);
}

export class RunStore implements RunStoreApi, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** Parsed summaries by report file, valid while the file's mtime is unchanged. */
  private readonly cache = new Map<string, { mtimeMs: number; run: StoredRun }>();

  async save(report: Report): Promise<StoredRun> {
    const root = stateRootFor(report.model.path);
    if (!root) throw new Error('Open a folder to keep Quench run reports (they are saved under .quench/runs/).');
    const stamp = new Date(report.createdAt || Date.now()).toISOString().replace(/[:.]/g, '-');
    const safeName = modelDisplayName(report.model.path).replace(/[^\w.-]+/g, '_');
    const dir = path.join(root, RUNS_FOLDER);
    let id = `${stamp}-${report.kind}-${safeName}.json`;
    for (let n = 2; await exists(path.join(dir, id)); n++) id = `${stamp}-${report.kind}-${safeName}-${n}.json`;
    const file = path.join(dir, id);
    await writeJsonAtomically(file, report);
    const run: StoredRun = { ...summarizeRun(id, report), file, modelPath: report.model.path };
    this.changed.fire();
    return run;
  }

  async list(modelPath?: string): Promise<StoredRun[]> {
    const runs: StoredRun[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const dir = path.join(folder.uri.fsPath, RUNS_FOLDER);
      let names: string[];
      try {
        names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
      } catch {
        continue;
      }
      for (const name of names) {
        const run = await this.summary(path.join(dir, name));
        if (run && (!modelPath || run.modelPath === modelPath)) runs.push(run);
      }
    }
    return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  async read(id: string): Promise<Report> {
    const file = await this.fileOf(id);
    return JSON.parse(await fs.readFile(file, 'utf8')) as Report;
  }

  async latest(modelPath: string): Promise<StoredRun | undefined> {
    return (await this.list(modelPath))[0];
  }

  /** The newest run that changed the model (prune), for the Models view's "last run" figures. */
  async latestPrune(modelPath: string): Promise<StoredRun | undefined> {
    return (await this.list(modelPath)).find((r) => r.kind === 'prune');
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async fileOf(id: string): Promise<string> {
    if (path.basename(id) !== id) throw new Error(`Not a run id: ${id}`);
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const file = path.join(folder.uri.fsPath, RUNS_FOLDER, id);
      if (await exists(file)) return file;
    }
    throw new Error(`No run report named ${id} under .quench/runs/ in this workspace.`);
  }

  private async summary(file: string): Promise<StoredRun | undefined> {
    try {
      const { mtimeMs } = await fs.stat(file);
      const cached = this.cache.get(file);
      if (cached?.mtimeMs === mtimeMs) return cached.run;
      const report = JSON.parse(await fs.readFile(file, 'utf8')) as Report;
      if (!report?.model?.path || !report.kind) return undefined;
      const run: StoredRun = { ...summarizeRun(path.basename(file), report), file, modelPath: report.model.path };
      this.cache.set(file, { mtimeMs, run });
      return run;
    } catch {
      // A hand-edited or foreign file in .quench/runs/ is not a run; it is skipped, not fatal.
      return undefined;
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
