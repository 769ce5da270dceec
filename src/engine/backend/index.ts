// Chooses the TensorFlow.js backend: native TensorFlow (@tensorflow/tfjs-node) when it is installed,
// else WebAssembly (fast inference), else the pure-JS cpu backend. QUENCH_BACKEND forces one.
// tfjs-node is looked for beside the engine and then in the QUENCH_EXTRA_MODULES folders, where
// the extension's "Install Faster Backend" command puts it (a .vsix cannot carry it).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../protocol/report';
import { EngineFailure } from '../core/errors';

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const loaders: Record<BackendName, () => boolean> = {
  tensorflow: registerNativeBackend,
  wasm: registerWasmBackend,
  cpu: () => true,
};
const registered: Partial<Record<BackendName, boolean>> = {};
/** Why each place tfjs-node was looked for did not give the tensorflow backend. */
const nativeLoadErrors: string[] = [];
// Resolved at run time (not by the bundler), so optional packages stay optional.
const runtimeRequire = createRequire(__filename);
let chosen: Promise<BackendName> | undefined;

export function isBackendName(value: string): value is BackendName {
  return (BACKENDS as readonly string[]).includes(value);
}

/**
 * Picks and activates the backend once per process. `QUENCH_BACKEND` wins over `preferred`; a
 * forced backend that cannot load is an error, a preferred one falls back to the next in order.
 */
export function initBackend(preferred?: BackendName): Promise<BackendName> {
  chosen ??= chooseBackend(preferred).catch((error: unknown) => {
    chosen = undefined;
    throw error;
  });
  return chosen;
}

async function chooseBackend(preferred?: BackendName): Promise<BackendName> {
  const forced = process.env['QUENCH_BACKEND']?.trim();
  if (forced) {
    if (!isBackendName(forced)) {
      throw new EngineFailure('backend', `QUENCH_BACKEND=${forced} is not a backend; use one of ${BACKENDS.join(', ')}.`);
    }
    try {
      await useBackend(forced);
    } catch (error) {
      throw new EngineFailure('backend', `QUENCH_BACKEND=${forced}: ${(error as Error).message}`);
    }
    return forced;
  }
  const order = preferred ? [preferred, ...BACKENDS.filter((b) => b !== preferred)] : BACKENDS;
  let lastError: unknown;
  for (const name of order) {
    try {
      await useBackend(name);
      return name;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Switches to `name` (loading it first); throws EngineFailure('backend') when it cannot load. */
export async function useBackend(name: BackendName): Promise<void> {
  // Production mode: no debug checks, and no "install tfjs-node" banner on the cpu backend.
  tf.env().set('PROD', true);
  if (!isRegistered(name)) {
    throw new EngineFailure('backend', backendUnavailableMessage(name));
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (error) {
    throw new EngineFailure('backend', `The ${name} backend failed to start: ${(error as Error).message}`);
  }
  if (!ok) throw new EngineFailure('backend', `The ${name} backend failed to start.`);
  chosen = Promise.resolve(name);
}

/** The active backend (after initBackend). Training code switches with useBackend. */
export function currentBackend(): BackendName {
  const name = tf.getBackend();
  if (!isBackendName(name)) throw new EngineFailure('backend', `Unexpected TensorFlow.js backend "${name}".`);
  return name;
}

/** Backends that can be loaded in this installation, in preference order. */
export function availableBackends(): BackendName[] {
  return BACKENDS.filter((name) => isRegistered(name));
}

function isRegistered(name: BackendName): boolean {
  registered[name] ??= loaders[name]();
  return registered[name] === true;
}

function backendUnavailableMessage(name: BackendName): string {
  if (name === 'tensorflow') {
    const extra = nativeLoadErrors.filter((e) => !e.startsWith(NATIVE_PACKAGE));
    return (
      'The tensorflow backend needs @tensorflow/tfjs-node, which is not installed (npm install @tensorflow/tfjs-node, ' +
      'or the Quench: Install Faster Backend command).' +
      (extra.length ? ` Not loadable: ${extra.join('; ')}` : '')
    );
  }
  return `The ${name} backend could not be loaded.`;
}

const NATIVE_PACKAGE = '@tensorflow/tfjs-node';
export const EXTRA_MODULES_ENV = 'QUENCH_EXTRA_MODULES';

/**
 * Where @tensorflow/tfjs-node is looked for, in order: by name (the engine's own node_modules),
 * then inside each absolute node_modules folder listed in QUENCH_EXTRA_MODULES (path.delimiter
 * separated). Its own dependencies (its copy of @tensorflow/tfjs) resolve from where it lies;
 * TensorFlow.js keeps one global engine and kernel registry, so its backend serves ours.
 */
export function nativeBackendCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return optionalPackageCandidates(NATIVE_PACKAGE, env);
}

/** An optional package by name (the engine's own node_modules), then inside each QUENCH_EXTRA_MODULES folder. */
export function optionalPackageCandidates(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env[EXTRA_MODULES_ENV] ?? '')
    .split(path.delimiter)
    .map((folder) => folder.trim())
    .filter((folder) => folder !== '' && path.isAbsolute(folder));
  return [name, ...extra.map((folder) => path.join(folder, ...name.split('/')))];
}

// The native addon is optional: required at run time so that bundles keep it external and
// installations without it still work.
function registerNativeBackend(): boolean {
  for (const candidate of nativeBackendCandidates()) {
    try {
      runtimeRequire(candidate);
      if (tf.findBackendFactory('tensorflow') !== null) return true;
      nativeLoadErrors.push(`${candidate}: loaded, but registered no tensorflow backend`);
    } catch (error) {
      nativeLoadErrors.push(`${candidate}: ${firstLine(error)}`);
    }
  }
  return false;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

// In Node the wasm backend must be told where its .wasm binaries are: next to its own main file
// in node_modules, which is also where the bundled dist/engine.js and dist/cli.js resolve it.
function registerWasmBackend(): boolean {
  try {
    const wasm = runtimeRequire('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const distFolder = path.dirname(runtimeRequire.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(distFolder + path.sep);
    return tf.findBackendFactory('wasm') !== null;
  } catch {
    return false;
  }
}
