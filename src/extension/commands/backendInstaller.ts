// Installs an optional native package — @tensorflow/tfjs-node into <storage>/backend/node_modules,
// onnxruntime-node into <storage>/onnxruntime/node_modules — without ever leaving half an
// installation there: npm installs into a temporary folder beside it, a child node process must
// load it and run a tiny computation, and only then is the folder moved into place. Any failure
// removes the temporary folder. No vscode import: unit tests run it with fake npm and node commands.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyNpmFailure, isInstallScriptLine, type InstallFailure } from './npmFailure';
import type { NpmCommand } from './npmLocate';

/** What differs between the packages installed this way. */
export interface PackageSpec {
  /** The npm package name. */
  name: string;
  /** <storage>/<folder>/node_modules is the folder the engine is told about. */
  folder: string;
  /** The command that installs it, for the temporary package.json. */
  installedBy: string;
  /** Added to npm's environment (and so to the package's install script). */
  env: Record<string, string>;
  /**
   * Run as `node -e <smokeTest> <package folder>`: loads the package by path, computes something
   * small, and prints `quench-smoke {"backend": …}` with exit code 0.
   */
  smokeTest: string;
}

// Loads the package by path in a fresh node, starts its backend and checks 1² + 2² + 3² = 14.
const TFJS_SMOKE_TEST = `
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

// Loads the package by path in a fresh node and runs a one-node ONNX model, z = x + y over
// float[3] (ir 7, opset 13), written here as its 82 protobuf bytes: [1, 2, 3] + [10, 20, 30].
const ORT_SMOKE_TEST = `
const ort = require(process.argv[1]);
const varint = (n) => { const out = []; for (; n > 127; n >>>= 7) out.push((n & 127) | 128); out.push(n); return out; };
const field = (number, body) => typeof body === 'number' ? [...varint(number << 3), ...varint(body)] : [...varint((number << 3) | 2), ...varint(body.length), ...body];
const text = (s) => [...Buffer.from(s)];
const float3 = (name) => [...field(1, text(name)), ...field(2, field(1, [...field(1, 1), ...field(2, field(1, field(1, 3)))]))];
const add = [...field(1, text('x')), ...field(1, text('y')), ...field(2, text('z')), ...field(4, text('Add'))];
const graph = [...field(1, add), ...field(2, text('smoke')), ...field(11, float3('x')), ...field(11, float3('y')), ...field(12, float3('z'))];
const model = Uint8Array.from([...field(1, 7), ...field(7, graph), ...field(8, field(2, 13))]);
const tensor = (values) => new ort.Tensor('float32', Float32Array.from(values), [3]);
ort.InferenceSession.create(model).then((session) => session.run({ x: tensor([1, 2, 3]), y: tensor([10, 20, 30]) })).then(({ z }) => {
  if (Array.from(z.data).join() !== '11,22,33') throw new Error('[1, 2, 3] + [10, 20, 30] gave ' + Array.from(z.data).join());
  console.log('quench-smoke ' + JSON.stringify({ backend: 'cpu' }));
}).catch((error) => {
  console.error(String(error && error.stack || error));
  process.exit(1);
});`;

export const TFJS_NODE: PackageSpec = {
  name: '@tensorflow/tfjs-node',
  folder: 'backend',
  installedBy: 'Quench: Install Faster Backend',
  env: {},
  smokeTest: TFJS_SMOKE_TEST,
};

export const ONNX_RUNTIME_NODE: PackageSpec = {
  name: 'onnxruntime-node',
  folder: 'onnxruntime',
  installedBy: 'Quench: Install ONNX Runtime',
  // The CPU libraries are in the npm package; without this its install script downloads CUDA
  // libraries from api.nuget.org on Linux x64 (hundreds of MB, and a failure offline).
  env: { ONNXRUNTIME_NODE_INSTALL: 'skip' },
  smokeTest: ORT_SMOKE_TEST,
};

export const NATIVE_PACKAGE = TFJS_NODE.name;

/** The node_modules folder of `spec` the engine is told about (QUENCH_EXTRA_MODULES). */
export function modulesFolder(storageDir: string, spec: PackageSpec): string {
  return path.join(storageDir, spec.folder, 'node_modules');
}

/** Where tfjs-node's installation is. */
export function backendModulesFolder(storageDir: string): string {
  return modulesFolder(storageDir, TFJS_NODE);
}

export interface NodeCommand {
  command: string;
  /** Electron's runtime (the editor's own) acts as node with ELECTRON_RUN_AS_NODE=1. */
  env?: NodeJS.ProcessEnv;
}

export interface InstallOptions {
  storageDir: string;
  /** What to install; default tfjs-node. */
  spec?: PackageSpec;
  /** The version to install (tfjs-node's matches the engine's @tensorflow/tfjs). */
  version: string;
  npm: NpmCommand | undefined;
  /** The node that will run the engine: it must load the result. */
  node: NodeCommand;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?(line: string): void;
  /** 'script': npm is running the package's install script (tfjs-node's libtensorflow download). */
  onStage?(stage: 'npm' | 'script' | 'smoke' | 'move'): void;
}

export type InstallResult =
  /** `backend`: what the smoke test ran on (TensorFlow.js's backend, ONNX Runtime's execution provider). */
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
  const spec = options.spec ?? TFJS_NODE;
  await removeStaleFolders(options.storageDir, spec);
  if (!options.npm) return { result: { outcome: 'failed', failure: { reason: 'no-npm', detail: 'not found' } }, output };

  const temp = await fs.promises.mkdtemp(path.join(options.storageDir, `${spec.folder}-install-${process.pid}-`));
  try {
    const result = await installInto(temp, spec, options, collect);
    if (result.outcome === 'done') {
      options.onStage?.('move');
      const folder = await moveIntoPlace(temp, path.join(options.storageDir, spec.folder));
      return { result: { ...result, folder }, output };
    }
    return { result, output };
  } catch (error) {
    return { result: { outcome: 'failed', failure: { reason: 'failed', detail: (error as Error).message } }, output };
  } finally {
    await removeFolder(temp);
  }
}

async function installInto(temp: string, spec: PackageSpec, options: InstallOptions, collect: (line: string) => void): Promise<InstallResult> {
  const manifest = { name: `quench-${spec.folder}`, private: true, description: `Installed by ${spec.installedBy}`, dependencies: { [spec.name]: options.version } };
  await fs.promises.writeFile(path.join(temp, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  options.onStage?.('npm');
  const npm = options.npm!;
  const run = await runProcess(npm.command, [...npm.args, ...NPM_FLAGS, '--prefix', temp], {
    cwd: temp,
    env: { ...npmEnvironment(process.env), ...spec.env },
    shell: npm.shell,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onLine: (line) => {
      if (isInstallScriptLine(line, spec.name)) options.onStage?.('script');
      collect(line);
    },
  });
  if (run.cancelled) return { outcome: 'cancelled' };
  const failure = classifyNpmFailure({ output: run.lines.join('\n'), exitCode: run.exitCode, spawnError: run.spawnError, timedOut: run.timedOut }, spec.name);
  if (failure) return { outcome: 'failed', failure };

  options.onStage?.('smoke');
  const smoke = await runProcess(options.node.command, ['-e', spec.smokeTest, path.join(temp, 'node_modules', ...spec.name.split('/'))], {
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

/** Moves `temp` to `final`; an earlier installation is moved aside first and deleted afterwards. */
async function moveIntoPlace(temp: string, final: string): Promise<string> {
  let previous: string | undefined;
  if (fs.existsSync(final)) {
    previous = `${final}-old-${process.pid}-${Date.now().toString(36)}`;
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

/**
 * Temporary folders of this package's installs whose extension host is gone (a crash, a closed
 * window). Another package's may belong to an install running now in this very process.
 */
async function removeStaleFolders(storageDir: string, spec: PackageSpec): Promise<void> {
  const temporary = new RegExp(`^${spec.folder}-(?:install|old)-(\\d+)-`);
  for (const name of await fs.promises.readdir(storageDir)) {
    const pid = Number(temporary.exec(name)?.[1]);
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
