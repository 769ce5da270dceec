// Installs @tensorflow/tfjs-node into <storage>/backend/node_modules without ever leaving half an
// installation there: npm installs into a temporary folder beside it, a child node process must
// load it and run a tiny op, and only then is the folder moved into place. Any failure removes the
// temporary folder. No vscode import: unit tests run it with fake npm and node commands.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyNpmFailure, type InstallFailure } from './npmFailure';
import type { NpmCommand } from './npmLocate';

export const NATIVE_PACKAGE = '@tensorflow/tfjs-node';
const FINAL_FOLDER = 'backend';
const TEMP_PREFIX = /^backend-(?:install|old)-(\d+)-/;

/** The node_modules folder the engine is told about (QUENCH_EXTRA_MODULES). */
export function backendModulesFolder(storageDir: string): string {
  return path.join(storageDir, FINAL_FOLDER, 'node_modules');
}

export interface NodeCommand {
  command: string;
  /** Electron's runtime (the editor's own) acts as node with ELECTRON_RUN_AS_NODE=1. */
  env?: NodeJS.ProcessEnv;
}

export interface InstallOptions {
  storageDir: string;
  /** The tfjs-node version, the one matching the engine's @tensorflow/tfjs. */
  version: string;
  npm: NpmCommand | undefined;
  /** The node that will run the engine: it must load the result. */
  node: NodeCommand;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?(line: string): void;
  /** 'script': npm is running tfjs-node's install script (the libtensorflow download). */
  onStage?(stage: 'npm' | 'script' | 'smoke' | 'move'): void;
}

export type InstallResult =
  | { outcome: 'done'; folder: string; backend: string }
  | { outcome: 'cancelled' }
  | { outcome: 'failed'; failure: InstallFailure };

export interface InstallRun {
  result: InstallResult;
  /** What npm (and the smoke test) printed. */
  output: string[];
}

const NPM_FLAGS = [
  'install',
  '--no-audit',
  '--no-fund',
  '--no-update-notifier',
  '--omit=dev',
  // The user may have turned scripts off; tfjs-node is nothing without its install script.
  '--ignore-scripts=false',
  // Its output (the libtensorflow URL, the download error) is what explains a failure.
  '--foreground-scripts',
  // Fail an unreachable registry in seconds, not minutes of retries.
  '--fetch-retries=1',
  '--fetch-retry-mintimeout=2000',
  '--fetch-retry-maxtimeout=10000',
  '--fetch-timeout=60000',
];

export async function installNativeBackend(options: InstallOptions): Promise<InstallRun> {
  const output: string[] = [];
  const collect = (line: string): void => {
    output.push(line);
    options.onOutput?.(line);
  };
  await fs.promises.mkdir(options.storageDir, { recursive: true });
  await removeStaleFolders(options.storageDir);
  if (!options.npm) return { result: { outcome: 'failed', failure: { reason: 'no-npm', detail: 'not found' } }, output };

  const temp = await fs.promises.mkdtemp(path.join(options.storageDir, `backend-install-${process.pid}-`));
  try {
    const result = await installInto(temp, options, collect);
    if (result.outcome === 'done') {
      options.onStage?.('move');
      const folder = await moveIntoPlace(temp, path.join(options.storageDir, FINAL_FOLDER));
      return { result: { ...result, folder }, output };
    }
    return { result, output };
  } catch (error) {
    return { result: { outcome: 'failed', failure: { reason: 'failed', detail: (error as Error).message } }, output };
  } finally {
    await removeFolder(temp);
  }
}

async function installInto(temp: string, options: InstallOptions, collect: (line: string) => void): Promise<InstallResult> {
  const manifest = { name: 'quench-native-backend', private: true, description: 'Installed by Quench: Install Faster Backend', dependencies: { [NATIVE_PACKAGE]: options.version } };
  await fs.promises.writeFile(path.join(temp, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  options.onStage?.('npm');
  const npm = options.npm!;
  const run = await runProcess(npm.command, [...npm.args, ...NPM_FLAGS, '--prefix', temp], {
    cwd: temp,
    env: npmEnvironment(process.env),
    shell: npm.shell,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onLine: (line) => {
      if (/^> @tensorflow\/tfjs-node@\S+ install\b/.test(line)) options.onStage?.('script');
      collect(line);
    },
  });
  if (run.cancelled) return { outcome: 'cancelled' };
  const failure = classifyNpmFailure({ output: run.lines.join('\n'), exitCode: run.exitCode, spawnError: run.spawnError, timedOut: run.timedOut });
  if (failure) return { outcome: 'failed', failure };

  options.onStage?.('smoke');
  const smoke = await runProcess(options.node.command, ['-e', SMOKE_TEST, path.join(temp, 'node_modules', ...NATIVE_PACKAGE.split('/'))], {
    cwd: temp,
    env: { ...withoutNodeOptions(process.env), ...options.node.env },
    timeoutMs: 120_000,
    signal: options.signal,
    onLine: collect,
  });
  if (smoke.cancelled) return { outcome: 'cancelled' };
  const verdict = smoke.lines.map((line) => /^quench-smoke (\{.*\})$/.exec(line)?.[1]).find(Boolean);
  if (smoke.exitCode === 0 && verdict) return { outcome: 'done', folder: temp, backend: (JSON.parse(verdict) as { backend: string }).backend };
  const why = smoke.spawnError
    ? `${options.node.command} could not be started (${smoke.spawnError})`
    : smoke.timedOut
      ? 'loading it took longer than 2 minutes'
      : (smoke.lines.map((line) => /^\s*(?:\w*Error|Error): (.*)$/.exec(line)?.[1]).find(Boolean) ?? `the check exited with code ${smoke.exitCode}`);
  return { outcome: 'failed', failure: { reason: 'load-failed', detail: why } };
}

// Loads the package by path in a fresh node, starts its backend and checks 1² + 2² + 3² = 14.
const SMOKE_TEST = `
const tf = require(process.argv[1]);
tf.setBackend('tensorflow').then((ok) => {
  if (!ok) throw new Error('the tensorflow backend did not start');
  const sum = tf.tidy(() => tf.sum(tf.square(tf.tensor1d([1, 2, 3]))).dataSync()[0]);
  if (sum !== 14) throw new Error('1 + 4 + 9 gave ' + sum);
  console.log('quench-smoke ' + JSON.stringify({ backend: tf.getBackend() }));
}).catch((error) => {
  console.error(String(error && error.stack || error));
  process.exit(1);
});`;

/** Moves `temp` to `final`; an earlier installation is moved aside first and deleted afterwards. */
async function moveIntoPlace(temp: string, final: string): Promise<string> {
  let previous: string | undefined;
  if (fs.existsSync(final)) {
    previous = `${path.dirname(final)}${path.sep}backend-old-${process.pid}-${Date.now().toString(36)}`;
    await fs.promises.rename(final, previous);
  }
  try {
    await fs.promises.rename(temp, final);
  } catch (error) {
    if (previous) await fs.promises.rename(previous, final).catch(() => undefined);
    throw new Error(`the installed files could not be moved into ${final}: ${(error as Error).message}`);
  }
  if (previous) await removeFolder(previous);
  return final;
}

/** Temporary folders of installs whose extension host is gone (a crash, a closed window). */
async function removeStaleFolders(storageDir: string): Promise<void> {
  for (const name of await fs.promises.readdir(storageDir)) {
    const pid = Number(TEMP_PREFIX.exec(name)?.[1]);
    if (pid && (pid === process.pid || !isAlive(pid))) await removeFolder(path.join(storageDir, name));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function removeFolder(folder: string): Promise<void> {
  await fs.promises.rm(folder, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 }).catch(() => undefined);
}

/** npm's lifecycle variables of whoever started the editor must not steer this install. */
function npmEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(withoutNodeOptions(env))) {
    if (/^npm_(lifecycle_|package_|command$|config_local_prefix$|config_prefix$)|^INIT_CWD$/i.test(key)) continue;
    clean[key] = value;
  }
  return clean;
}

function withoutNodeOptions(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _dropped, ...rest } = env;
  return rest;
}

interface ProcessRun {
  lines: string[];
  exitCode: number | null;
  spawnError?: string;
  timedOut: boolean;
  cancelled: boolean;
}

interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  shell?: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine(line: string): void;
}

/** Runs a command to its end, or kills it with everything it started on cancel or timeout. */
function runProcess(command: string, args: string[], options: RunOptions): Promise<ProcessRun> {
  return new Promise((resolve) => {
    const run: ProcessRun = { lines: [], exitCode: null, timedOut: false, cancelled: false };
    if (options.signal?.aborted) return resolve({ ...run, cancelled: true });
    let child: ChildProcess;
    try {
      // Its own process group on Unix, so that a kill reaches npm's install scripts too.
      const quoted = options.shell ? args.map((a) => (/[\s"&|<>^]/.test(a) ? `"${a.replace(/"/g, '""')}"` : a)) : args;
      child = spawn(options.shell ? `"${command}"` : command, quoted, {
        cwd: options.cwd,
        env: options.env,
        shell: options.shell,
        detached: process.platform !== 'win32',
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      return resolve({ ...run, spawnError: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
    }
    const onLine = (line: string): void => {
      run.lines.push(line);
      options.onLine(line);
    };
    splitLines(child.stdout, onLine);
    splitLines(child.stderr, onLine);
    const stop = (): void => killTree(child);
    const timer = setTimeout(() => {
      run.timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = (): void => {
      run.cancelled = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(run);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      run.spawnError = error.code ?? error.message;
      finish();
    });
    child.on('close', (code) => {
      run.exitCode = code;
      finish();
    });
  });
}

function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  if (process.platform === 'win32') {
    spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true, stdio: 'ignore' }).on('error', () => child.kill());
    return;
  }
  const group = -child.pid;
  try {
    process.kill(group, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  setTimeout(() => {
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, 3000).unref();
}

function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split(/\r?\n/);
    buffered = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}
