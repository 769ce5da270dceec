// quench.installFasterBackend: installs @tensorflow/tfjs-node (the version matching the engine's
// @tensorflow/tfjs) with npm into the extension's global storage, behind a cancellable progress
// notification, then restarts the engine so the next job runs on native TensorFlow. A failure
// shows one message saying why (no npm, offline, no prebuilt binary, does not load) and leaves
// nothing behind; npm's last lines go to the Quench output. Returns what happened.
// `installWithProgress` is that flow for any package; Install ONNX Runtime uses it too.
import * as vscode from 'vscode';
import type { BackendName } from '../../protocol/report';
import type { QuenchLog } from '../log';
import { backendModulesFolder, installNativeBackend, NATIVE_PACKAGE, TFJS_NODE, type InstallOptions, type NodeCommand, type PackageSpec } from './backendInstaller';
import type { CommandDeps } from './deps';
import { failureMessage, type InstallFailureReason } from './npmFailure';
import { findNpm } from './npmLocate';

export interface InstallBackendArgs {
  /** Limit for npm's whole run (default 15 minutes). */
  timeoutMs?: number;
  /** Install again even when the engine already runs on TensorFlow. */
  force?: boolean;
}

export interface InstallCommon {
  message: string;
  /** The global storage folder it installs into (<storage>/backend, <storage>/onnxruntime). */
  storage: string;
  /** Every notification shown while the command ran. */
  shown: string[];
}

export type InstallBackendResult = InstallCommon &
  (
    | { outcome: 'done'; version: string; folder: string; backend?: BackendName }
    | { outcome: 'unchanged'; backend: 'tensorflow' }
    | { outcome: 'cancelled' }
    | { outcome: 'failed'; reason: InstallFailureReason; backend?: BackendName }
  );

type Stage = Parameters<NonNullable<InstallOptions['onStage']>>[0];

/** One package installed with npm behind a cancellable progress notification. */
export interface PackageInstall {
  spec: PackageSpec;
  version: string;
  /** As messages name it: "TensorFlow backend", "ONNX Runtime". */
  name: string;
  /** As failure messages name it: "the TensorFlow backend", "ONNX Runtime". */
  subject: string;
  /** What the package's install script fetches, for a failure of that script. */
  library: string;
  /** The progress notification's title. */
  title: string;
  stages: Record<Stage, string>;
  timeoutMs: number;
  /** What Quench keeps using, asked once the install failed (e.g. "WebAssembly"). */
  fallback(): Promise<string>;
}

export type InstallStep =
  | { outcome: 'done'; folder: string; backend: string }
  | { outcome: 'cancelled'; message: string }
  | { outcome: 'failed'; reason: InstallFailureReason; message: string };

/** Shows notifications and remembers each one (the commands return them, for tests). */
export interface Notifier {
  shown: string[];
  show(kind: 'info' | 'error', message: string): void;
}

export function notifier(log: QuenchLog): Notifier {
  const shown: string[] = [];
  return {
    shown,
    show(kind, message) {
      shown.push(message);
      const pick = kind === 'error' ? vscode.window.showErrorMessage(message, 'Show Output') : vscode.window.showInformationMessage(message);
      void pick.then((choice) => choice && log.show(true));
    },
  };
}

/** The arguments object of an install command (not the Uri of a menu). */
export function installArgs<T extends object>(args: unknown[]): Partial<T> {
  return typeof args[0] === 'object' && args[0] !== null && !(args[0] instanceof vscode.Uri) ? (args[0] as Partial<T>) : {};
}

export const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const OUTPUT_TAIL_LINES = 40;
const BACKEND_LABELS: Record<BackendName, string> = { tensorflow: 'TensorFlow', wasm: 'WebAssembly', cpu: 'the JavaScript CPU backend' };

/** Installs `install.spec` with npm, checked in the engine's node; a failure shows one message. */
export async function installWithProgress(deps: CommandDeps, install: PackageInstall, notes: Notifier): Promise<InstallStep> {
  const { log } = deps;
  const storage = deps.context.globalStorageUri.fsPath;
  const { spec, version } = install;
  const nodePath = vscode.workspace.getConfiguration('quench').get<string>('nodePath', '').trim() || undefined;
  const npm = findNpm({ nodePath });
  const node: NodeCommand = nodePath ? { command: nodePath } : { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
  log.info(`Installing ${spec.name}@${version} into ${storage} with ${npm?.description ?? 'npm (not found)'}; checking it with ${node.command}.`);

  const abort = new AbortController();
  const { result, output } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: install.title, cancellable: true },
    (progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      return installNativeBackend({
        storageDir: storage,
        spec,
        version,
        npm,
        node,
        timeoutMs: install.timeoutMs,
        signal: abort.signal,
        onOutput: (line) => log.trace(`[npm] ${line}`),
        onStage: (stage) => progress.report({ message: install.stages[stage] }),
      });
    },
  );

  if (result.outcome === 'cancelled') {
    const message = `The ${install.name} installation was cancelled; nothing was kept.`;
    log.info(message);
    return { outcome: 'cancelled', message };
  }
  if (result.outcome === 'failed') {
    const message = failureMessage(result.failure, {
      subject: install.subject,
      packageName: spec.name,
      library: install.library,
      version,
      platform: `${process.platform}-${process.arch}`,
      fallback: await install.fallback(),
      nodePath,
      timeoutSeconds: Math.round(install.timeoutMs / 1000),
    });
    log.error(message);
    if (output.length) log.info(`npm's output (last ${Math.min(OUTPUT_TAIL_LINES, output.length)} lines):\n${output.slice(-OUTPUT_TAIL_LINES).join('\n')}`);
    notes.show('error', message);
    return { outcome: 'failed', reason: result.failure.reason, message };
  }
  log.info(`${spec.name}@${version} is installed in ${result.folder} and loads (backend ${result.backend}).`);
  return result;
}

let running: Promise<InstallBackendResult> | undefined;

/** One install at a time: a second call (a double click on the status bar) joins the first. */
export function installFasterBackend(deps: CommandDeps, ...args: unknown[]): Promise<InstallBackendResult> {
  running ??= install(deps, installArgs<InstallBackendArgs>(args)).finally(() => (running = undefined));
  return running;
}

async function install(deps: CommandDeps, options: InstallBackendArgs): Promise<InstallBackendResult> {
  const storage = deps.context.globalStorageUri.fsPath;
  const notes = notifier(deps.log);
  const shown = notes.shown;
  const before = await engineBackend(deps);
  if (before === 'tensorflow' && !options.force) {
    const message = 'The Quench engine already runs on native TensorFlow.';
    notes.show('info', message);
    return { outcome: 'unchanged', backend: 'tensorflow', message, storage, shown };
  }

  const version = tfjsNodeVersion(deps.context);
  let backend: BackendName | undefined;
  const step = await installWithProgress(
    deps,
    {
      spec: TFJS_NODE,
      version,
      name: 'TensorFlow backend',
      subject: 'the TensorFlow backend',
      library: 'prebuilt TensorFlow library',
      title: 'Quench: Installing the TensorFlow backend',
      stages: {
        npm: `Downloading ${NATIVE_PACKAGE} ${version} with npm…`,
        script: 'Downloading the prebuilt TensorFlow library…',
        smoke: 'Checking that it loads…',
        move: 'Putting it in place…',
      },
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fallback: async () => {
        backend = await engineBackend(deps);
        return BACKEND_LABELS[backend && backend !== 'tensorflow' ? backend : 'wasm'];
      },
    },
    notes,
  );
  if (step.outcome === 'cancelled') return { ...step, storage, shown };
  if (step.outcome === 'failed') return { ...step, backend, storage, shown };

  const restartedNow = deps.engine.restart();
  backend = restartedNow ? await engineBackend(deps) : undefined;
  const message = !restartedNow
    ? `TensorFlow backend installed (${NATIVE_PACKAGE} ${version}). The Quench engine switches to it when the running jobs end.`
    : backend === 'tensorflow'
      ? `The Quench engine now runs on native TensorFlow (${NATIVE_PACKAGE} ${version}).`
      : `TensorFlow backend installed (${NATIVE_PACKAGE} ${version}), but the engine runs on ${backend ?? 'an unknown backend'}: see the quench.backend setting and the Quench output.`;
  notes.show('info', message);
  return { outcome: 'done', version, folder: step.folder, backend, message, storage, shown };
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
