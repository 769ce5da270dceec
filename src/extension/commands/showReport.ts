// quench.showReport: opens a stored run in the panel: a model's latest run, a given run id, or a
// pick from the history.
import * as vscode from 'vscode';
import type { StoredRun } from '../services';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';

export interface ShowReportArgs {
  model?: string | vscode.Uri;
  runId?: string;
}

export async function showReport(deps: CommandDeps, ...args: unknown[]): Promise<StoredRun | undefined> {
  const { target, options } = commandInput<ShowReportArgs>(args);
  try {
    let run: StoredRun | undefined;
    if (options?.runId) {
      run = (await deps.runs.list()).find((r) => r.id === options.runId);
      if (!run) throw new Error(`No run ${options.runId} under .quench/runs/.`);
    } else if (target !== undefined) {
      const model = await resolveModel(deps, target, 'Model whose report to show');
      if (!model) return undefined;
      run = await deps.runs.latest(model.path);
      if (!run) throw new Error(`${model.name} has no runs yet: prune, analyze or inspect it first.`);
    } else {
      const runs = await deps.runs.list();
      if (runs.length === 0) throw new Error('No runs yet in this workspace: prune, analyze or inspect a model first.');
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({
          label: `${r.kind} · ${vscode.workspace.asRelativePath(r.modelPath)}`,
          description: [r.method, new Date(r.createdAt).toLocaleString()].filter(Boolean).join(' · '),
          run: r,
        })),
        { placeHolder: 'Report to show', matchOnDescription: true },
      );
      run = pick?.run;
    }
    if (run) await openRun(deps, run);
    return run;
  } catch (error) {
    reportCommandError(error);
    return undefined;
  }
}

/** The panel when it is available; otherwise the report JSON in an editor. */
export async function openRun(deps: CommandDeps, run: StoredRun): Promise<void> {
  const panel = deps.panel();
  if (panel) await panel.showRun(run.id);
  else await vscode.window.showTextDocument(vscode.Uri.file(run.file), { viewColumn: vscode.ViewColumn.Beside, preview: true });
}
