// Activation: a wiring list. Each feature registers itself and returns a Disposable.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { installedBackendModules } from './commands/installBackend';
import { installedOnnxRuntimeModules } from './commands/installOnnxRuntime';
import { registerBackendStatus } from './client/backendStatus';
import { registerEditorFeatures } from './editor';
import { EngineClient } from './client/client';
import { registerOnnxRuntimeOffer } from './jobs/registerOnnxRuntimeOffer';
import { JobRunner } from './jobs/runner';
import { createLog } from './log';
import { registerActiveModelContext } from './models/activeModel';
import { ModelIndex } from './models/discovery';
import { InspectCache } from './models/inspectCache';
import { registerModelsView } from './models/view';
import { registerPanel } from './panel';
import { ModelSettingsStore } from './state/modelSettings';
import { RunStore } from './state/runs';
import type { PanelControllerApi } from './services';

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  const engine = new EngineClient(context.extensionPath, log, [installedBackendModules(context), installedOnnxRuntimeModules(context)]);
  const runs = new RunStore();
  const index = new ModelIndex(engine, log);
  const inspections = new InspectCache(engine);
  const jobs = new JobRunner(engine, runs, () => panel, log);
  const panel = registerPanel(context, { runs, engine, cancelJob: (jobId) => jobs.cancelById(jobId) });
  const deps = { context, engine, index, inspections, runs, settings: new ModelSettingsStore(), jobs, panel: () => panel, log };
  context.subscriptions.push(
    log,
    engine,
    runs,
    index,
    jobs,
    registerModelsView(index, inspections, runs),
    registerActiveModelContext(index),
    registerCommands(deps),
    registerBackendStatus(engine),
    registerOnnxRuntimeOffer(context, jobs, engine, log),
    registerEditorFeatures(context, { runs, engine, inspections, models: index, showLayer: (modelPath, layer) => showLayer(deps, modelPath, layer) }),
  );
  void index.refresh();
}

export function deactivate(): void {}

/** Opens the panel on a model's latest run with one layer selected; inspects first if it has none. */
async function showLayer(deps: { runs: RunStore; panel: () => PanelControllerApi }, modelPath: string, layer: string): Promise<void> {
  let run = await deps.runs.latest(modelPath);
  if (!run) {
    await vscode.commands.executeCommand('quench.inspectModel', { model: modelPath, show: false });
    run = await deps.runs.latest(modelPath);
  }
  if (run) await deps.panel().showRun(run.id, layer);
}
