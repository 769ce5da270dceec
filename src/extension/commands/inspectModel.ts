// quench.inspectModel: layers, parameters, sparsity and sizes of a model. Runs in untrusted
// workspaces too: it reads the files and executes nothing from them.
import * as vscode from 'vscode';
import type { InspectReport } from '../../protocol/report';
import type { JobOutcome } from '../jobs/runner';
import type { StoredRun } from '../services';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';
import { openRun } from './showReport';

export interface InspectModelArgs {
  model?: string | vscode.Uri;
  /** false: return the report without opening the panel. */
  show?: boolean;
}

export async function inspectModel(deps: CommandDeps, ...args: unknown[]): Promise<JobOutcome<InspectReport> | undefined> {
  const { target, options } = commandInput<InspectModelArgs>(args);
  try {
    const model = await resolveModel(deps, target, 'Model to inspect');
    if (!model) return undefined;
    const report = await vscode.window.withProgress(
      { location: { viewId: 'quench.models' }, title: `Inspecting ${model.name}` },
      () => deps.inspections.get(model.path),
    );
    const run = await storeInspection(deps, report);
    if (options?.show !== false) await openRun(deps, run);
    return { outcome: 'done', report, run };
  } catch (error) {
    return reportCommandError(error);
  }
}

/** Saves the report unless the latest inspection of the same file contents is already stored. */
async function storeInspection(deps: CommandDeps, report: InspectReport): Promise<StoredRun> {
  const previous = (await deps.runs.list(report.model.path)).find((r) => r.kind === 'inspect');
  if (previous) {
    const stored = await deps.runs.read(previous.id).catch(() => undefined);
    if (stored?.model.sha256 === report.model.sha256) return previous;
  }
  return deps.runs.save(report);
}
