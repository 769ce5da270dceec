// Registers every Quench command; each lives in its own file and returns its result.
import * as vscode from 'vscode';
import type { DiscoveredModel } from '../models/discovery';
import { analyzeModel } from './analyzeModel';
import { cancelJob } from './cancelJob';
import { compareMethods } from './compareMethods';
import type { CommandDeps } from './deps';
import { evaluateModel } from './evaluateModel';
import { inspectModel } from './inspectModel';
import { installFasterBackend } from './installBackend';
import { installOnnxRuntime } from './installOnnxRuntime';
import { openExample } from './openExample';
import { pruneModel } from './pruneModel';
import { refreshModels } from './refreshModels';
import { selectDataset } from './selectDataset';
import { showReport } from './showReport';
import { sweepModel } from './sweepModel';

type Command = (deps: CommandDeps, ...args: unknown[]) => unknown;

const commands: Record<string, Command> = {
  'quench.pruneModel': pruneModel,
  'quench.analyzeModel': analyzeModel,
  'quench.compareMethods': compareMethods,
  'quench.sweepModel': sweepModel,
  'quench.inspectModel': inspectModel,
  'quench.evaluateModel': evaluateModel,
  'quench.showReport': showReport,
  'quench.cancelJob': cancelJob,
  'quench.refreshModels': refreshModels,
  'quench.selectDataset': selectDataset,
  'quench.openExample': openExample,
  'quench.installFasterBackend': installFasterBackend,
  'quench.installOnnxRuntime': installOnnxRuntime,
  // Internal (hidden from the palette): menu helpers and read-outs for tests and other extensions.
  'quench.revealInExplorer': (_deps, node) => {
    const uri = node instanceof vscode.Uri ? node : (node as { model?: DiscoveredModel } | undefined)?.model?.uri;
    return uri ? vscode.commands.executeCommand('revealInExplorer', uri) : undefined;
  },
  'quench.showJobProgress': (deps) => {
    const job = deps.jobs.list().at(-1);
    if (job) deps.panel()?.showProgress(job.jobId, job.title, job.progress ?? { stage: 'starting' });
    else deps.log.show(true);
    return job;
  },
  'quench.listModels': async (deps) => {
    await deps.index.whenIdle();
    return { models: deps.index.models().map(({ uri: _uri, ...rest }) => rest), rejected: Object.fromEntries(deps.index.rejected) };
  },
  'quench.listJobs': (deps) => deps.jobs.list(),
  'quench.engineInfo': (deps) => ({ pid: deps.engine.pid, info: deps.engine.info }),
};

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    ...Object.entries(commands).map(([id, run]) => vscode.commands.registerCommand(id, (...args: unknown[]) => run(deps, ...args))),
  );
}

export const COMMAND_IDS = Object.keys(commands);
