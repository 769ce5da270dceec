// What the commands work with; built once in activate().
import type * as vscode from 'vscode';
import type { EngineInfo } from '../../protocol/engine';
import type { JobRunner } from '../jobs/runner';
import type { QuenchLog } from '../log';
import type { ModelIndex } from '../models/discovery';
import type { InspectCache } from '../models/inspectCache';
import type { EngineClientApi, PanelControllerApi } from '../services';
import type { ModelSettingsStore } from '../state/modelSettings';
import type { RunStore } from '../state/runs';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  engine: EngineClientApi & {
    readonly pid: number | undefined;
    readonly info: EngineInfo | undefined;
    /** Restarts the engine now when idle (true), else when the running requests end. */
    restart(): boolean;
  };
  index: ModelIndex;
  inspections: InspectCache;
  runs: RunStore;
  settings: ModelSettingsStore;
  jobs: JobRunner;
  panel(): PanelControllerApi | undefined;
  log: QuenchLog;
}
