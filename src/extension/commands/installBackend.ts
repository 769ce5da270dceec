// quench.installFasterBackend: installs @tensorflow/tfjs-node (the version matching the engine's
// @tensorflow/tfjs) with npm into the extension's global storage, behind a cancellable progress
// notification, then restarts the engine so the next job runs on native TensorFlow. A failure
// shows one message saying why (no npm, offline, no prebuilt binary, does not load) and leaves
// nothing behind; npm's last lines go to the Quench output. Returns what happened.
import * as vscode from 'vscode';
import type { BackendName } from '../../protocol/report';
import { backendModulesFolder, installNativeBackend, NATIVE_PACKAGE, type NodeCommand } from './backendInstaller';
import type { CommandDeps } from './deps';
import { failureMessage, type InstallFailureReason } from './npmFailure';
import { findNpm } from './npmLocate';

export interface InstallBackendArgs {
  /** Limit for npm's whole run (default 15 minutes). */
  timeoutMs?: number;
  /** Install again even when the engine already runs on TensorFlow. */
  force?: boolean;
}

interface Common {
  message: string;
  /** The global storage folder it installs into (<storage>/backend). */
  storage: string;
  /** Every notification shown while the command ran. */
  shown: string[];
}

export type InstallBackendResult = Common &
  (
    | { outcome: 'done'; version: string; folder: string; backend?: BackendName }
    | { outcome: 'unchanged'; backend: 'tensorflow' }
    | { outcome: 'cancelled' }
    | { outcome: 'failed'; reason: InstallFailureReason; backend?: BackendName }
  );

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const OUTPUT_TAIL_LINES = 40;
const BACKEND_LABELS: Record<BackendName, string> = { tensorflow: 'TensorFlow', wasm: 'WebAssembly', cpu: 'the JavaScript CPU backend' };
const STAGES = {
  npm: (version: string) => `Downloading ${NATIVE_PACKAGE} ${version} with npm…`,
  script: () => 'Downloading the prebuilt TensorFlow library…',
  smoke: () => 'Checking that it loads…',
  move: () => 'Putting it in place…',
};

let running: Promise<InstallBackendResult> | undefined;

/** One install at a time: a second call (a double click on the status bar) joins the first. */
export function installFasterBackend(deps: CommandDeps, ...args: unknown[]): Promise<InstallBackendResult> {
  const options = typeof args[0] === 'object' && args[0] !== null && !(args[0] instanceof vscode.Uri) ? (args[0] as InstallBackendArgs) : {};
  running ??= install(deps, options).finally(() => (running = undefined));
  return running;
}

async function install(deps: CommandDeps, options: InstallBackendArgs): Promise<InstallBackendResult> {
  const { log } = deps;
  const storage = deps.context.globalStorageUri.fsPath;
  const shown: string[] = [];
  const show = (kind: 'info' | 'error', message: string): void => {
    shown.push(message);
    const pick = kind === 'error' ? vscode.window.showErrorMessage(message, 'Show Output') : vscode.window.showInformationMessage(message);
    void pick.then((choice) => choice && log.show(true));
  };
  const before = await engineBackend(deps);
  if (before === 'tensorflow' && !options.force) {
    const message = 'The Quench engine already runs on native TensorFlow.';
    show('info', message);
    return { outcome: 'unchanged', backend: 'tensorflow', message, storage, shown };
  }

  const version = tfjsNodeVersion(deps.context);
  const nodePath = vscode.workspace.getConfiguration('quench').get<string>('nodePath', '').trim() || undefined;
  const npm = findNpm({ nodePath });
  const node: NodeCommand = nodePath ? { command: nodePath } : { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  log.info(`Installing ${NATIVE_PACKAGE}@${version} into ${storage} with ${npm?.description ?? 'npm (not found)'}; checking it with ${node.command}.`);

  const abort = new AbortController();
  const { result, output } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Quench: Installing the TensorFlow backend', cancellable: true },
    (progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      return installNativeBackend({
        storageDir: storage,
        version,
        npm,
        node,
        timeoutMs,
        signal: abort.signal,
        onOutput: (line) => log.trace(`[npm] ${line}`),
        onStage: (stage) => progress.report({ message: STAGES[stage](version) }),
      });
    },
  );

  if (result.outcome === 'cancelled') {
    const message = 'The TensorFlow backend installation was cancelled; nothing was kept.';
    log.info(message);
    return { outcome: 'cancelled', message, storage, shown };
  }
  if (result.outcome === 'failed') {
    const backend = await engineBackend(deps);
    const fallback = BACKEND_LABELS[backend && backend !== 'tensorflow' ? backend : 'wasm'];
    const message = failureMessage(result.failure, { version, platform: `${process.platform}-${process.arch}`, fallback, nodePath, timeoutSeconds: Math.round(timeoutMs / 1000) });
    log.error(message);
    if (output.length) log.info(`npm's output (last ${Math.min(OUTPUT_TAIL_LINES, output.length)} lines):\n${output.slice(-OUTPUT_TAIL_LINES).join('\n')}`);
    show('error', message);
    return { outcome: 'failed', reason: result.failure.reason, backend, message, storage, shown };
  }

  log.info(`${NATIVE_PACKAGE}@${version} is installed in ${result.folder} and loads (backend ${result.backend}).`);
  const restartedNow = deps.engine.restart();
  const backend = restartedNow ? await engineBackend(deps) : undefined;
  const message = !restartedNow
    ? `TensorFlow backend installed (${NATIVE_PACKAGE} ${version}). The Quench engine switches to it when the running jobs end.`
    : backend === 'tensorflow'
      ? `The Quench engine now runs on native TensorFlow (${NATIVE_PACKAGE} ${version}).`
      : `TensorFlow backend installed (${NATIVE_PACKAGE} ${version}), but the engine runs on ${backend ?? 'an unknown backend'}: see the quench.backend setting and the Quench output.`;
  show('info', message);
  return { outcome: 'done', version, folder: result.folder, backend, message, storage, shown };
}

async function engineBackend(deps: CommandDeps): Promise<BackendName | undefined> {
  try {
    return (await deps.engine.request('info', {})).backend;
  } catch {
    return deps.engine.info?.backend;
  }
}

/** tfjs-node must match the engine's @tensorflow/tfjs: the optional dependency's pinned version. */
function tfjsNodeVersion(context: vscode.ExtensionContext): string {
  const manifest = context.extension.packageJSON as { optionalDependencies?: Record<string, string>; dependencies?: Record<string, string> };
  return manifest.optionalDependencies?.[NATIVE_PACKAGE] ?? manifest.dependencies?.['@tensorflow/tfjs'] ?? 'latest';
}

/** Where the engine looks for the installed backend (QUENCH_EXTRA_MODULES). */
export function installedBackendModules(context: vscode.ExtensionContext): string {
  return backendModulesFolder(context.globalStorageUri.fsPath);
}
