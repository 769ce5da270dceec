// quench.installOnnxRuntime: installs onnxruntime-node (the version pinned in package.json's
// quench.onDemandDependencies) into the extension's global storage the way Install Faster Backend
// installs tfjs-node — CPU libraries only, checked by running a one-node model in the engine's
// node —, then restarts the engine, which measures ONNX models' accuracy with it from then on.
import * as vscode from 'vscode';
import type { EngineInfo } from '../../protocol/engine';
import { modulesFolder, ONNX_RUNTIME_NODE } from './backendInstaller';
import type { CommandDeps } from './deps';
import { DEFAULT_TIMEOUT_MS, installArgs, installWithProgress, notifier, type InstallCommon } from './installBackend';
import type { InstallFailureReason } from './npmFailure';

export interface InstallOnnxRuntimeArgs {
  /** Limit for npm's whole run (default 15 minutes). */
  timeoutMs?: number;
  /** Install again even when the engine already loads ONNX Runtime. */
  force?: boolean;
}

type OnnxRuntimeStatus = NonNullable<EngineInfo['onnxRuntime']>;

export type InstallOnnxRuntimeResult = InstallCommon &
  (
    | { outcome: 'done'; version: string; folder: string; onnxRuntime?: OnnxRuntimeStatus }
    | { outcome: 'unchanged'; onnxRuntime: OnnxRuntimeStatus }
    | { outcome: 'cancelled' }
    | { outcome: 'failed'; reason: InstallFailureReason }
  );

const PACKAGE = ONNX_RUNTIME_NODE.name;

let running: Promise<InstallOnnxRuntimeResult> | undefined;

/** One install at a time: a second call joins the first. */
export function installOnnxRuntime(deps: CommandDeps, ...args: unknown[]): Promise<InstallOnnxRuntimeResult> {
  running ??= install(deps, installArgs<InstallOnnxRuntimeArgs>(args)).finally(() => (running = undefined));
  return running;
}

async function install(deps: CommandDeps, options: InstallOnnxRuntimeArgs): Promise<InstallOnnxRuntimeResult> {
  const storage = deps.context.globalStorageUri.fsPath;
  const notes = notifier(deps.log);
  const shown = notes.shown;
  const before = await onnxRuntimeStatus(deps);
  if (before?.available && !options.force) {
    const message = `The Quench engine already evaluates ONNX models with ONNX Runtime (${PACKAGE} ${before.version}).`;
    notes.show('info', message);
    return { outcome: 'unchanged', onnxRuntime: before, message, storage, shown };
  }

  const version = onnxRuntimeVersion(deps.context);
  const step = await installWithProgress(
    deps,
    {
      spec: ONNX_RUNTIME_NODE,
      version,
      name: 'ONNX Runtime',
      subject: 'ONNX Runtime',
      library: 'native libraries',
      title: 'Quench: Installing ONNX Runtime',
      stages: {
        npm: `Downloading ${PACKAGE} ${version} with npm (about 115 MB)…`,
        script: `Running ${PACKAGE}'s install script…`,
        smoke: 'Checking that it runs a model…',
        move: 'Putting it in place…',
      },
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fallback: async () => 'TensorFlow.js for ONNX models',
    },
    notes,
  );
  if (step.outcome !== 'done') return { ...step, storage, shown };

  const restartedNow = deps.engine.restart();
  const after = restartedNow ? await onnxRuntimeStatus(deps) : undefined;
  const message = !restartedNow
    ? `ONNX Runtime installed (${PACKAGE} ${version}). The Quench engine uses it for ONNX models when the running jobs end.`
    : after?.available
      ? `The Quench engine now evaluates ONNX models with ONNX Runtime (${PACKAGE} ${after.version}).`
      : `ONNX Runtime installed (${PACKAGE} ${version}), but the engine does not load it (${after?.reason ?? 'the engine did not say'}): see the Quench output.`;
  notes.show('info', message);
  return { outcome: 'done', version, folder: step.folder, onnxRuntime: after, message, storage, shown };
}

async function onnxRuntimeStatus(deps: CommandDeps): Promise<EngineInfo['onnxRuntime']> {
  try {
    return (await deps.engine.request('info', {})).onnxRuntime;
  } catch {
    return deps.engine.info?.onnxRuntime;
  }
}

/**
 * The pinned version, from package.json's `quench.onDemandDependencies` — a field npm ignores, so
 * that `npm install` of the extension never fetches the 115 MB package itself.
 */
function onnxRuntimeVersion(context: vscode.ExtensionContext): string {
  const manifest = context.extension.packageJSON as { quench?: { onDemandDependencies?: Record<string, string> } };
  return manifest.quench?.onDemandDependencies?.[PACKAGE] ?? 'latest';
}

/** Where the engine looks for the installed ONNX Runtime (QUENCH_EXTRA_MODULES). */
export function installedOnnxRuntimeModules(context: vscode.ExtensionContext): string {
  return modulesFolder(context.globalStorageUri.fsPath, ONNX_RUNTIME_NODE);
}
