// Starts dist/engine.js as a child process with an IPC channel: child_process.fork with the
// editor's own Node, or spawn with an 'ipc' stdio when the user names another Node executable.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import type { EngineToHost, HostToEngine } from '../../protocol/engine';
import type { EngineChild, EngineChildHandlers, StartEngine } from './connection';

export interface EngineProcessOptions {
  /** Absolute path of the engine bundle (dist/engine.js). */
  enginePath: string;
  /** An external `node` to run the engine with; empty = the editor's own runtime. */
  nodePath?: string;
  /** 'auto' or a BackendName, passed as QUENCH_BACKEND. */
  backend?: string;
  /** Heap limit and the engine's working budget, in MB; 0 or absent = Node's default. */
  maxMemoryMB?: number;
  /** Extra Node flags (tests use `--import tsx` to run the TypeScript entry). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

export function engineProcessStarter(options: EngineProcessOptions): StartEngine {
  return (handlers) => startEngineProcess(options, handlers);
}

export function startEngineProcess(options: EngineProcessOptions, handlers: EngineChildHandlers): EngineChild {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // Flags of the editor's own process (inspector ports, loaders) must not leak into the engine.
  delete env['NODE_OPTIONS'];
  if (options.backend && options.backend !== 'auto') env['QUENCH_BACKEND'] = options.backend;
  else delete env['QUENCH_BACKEND'];
  const execArgv = [...(options.execArgv ?? [])];
  const args: string[] = [];
  if (options.maxMemoryMB && options.maxMemoryMB > 0) {
    execArgv.push(`--max-old-space-size=${Math.floor(options.maxMemoryMB)}`);
    args.push(`--max-memory-mb=${Math.floor(options.maxMemoryMB)}`);
  }
  const child: ChildProcess = options.nodePath
    ? spawn(options.nodePath, [...execArgv, options.enginePath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    : fork(options.enginePath, args, { env, execArgv, silent: true });

  child.on('message', (message) => handlers.message(message as EngineToHost));
  let exited = false;
  const exit = (code: number | null, signal: string | null): void => {
    if (exited) return;
    exited = true;
    handlers.exit(code, signal);
  };
  child.on('exit', exit);
  // 'error' without 'exit' happens when the executable cannot be started (a wrong quench.nodePath).
  child.on('error', (error) => {
    handlers.output(`Engine process error: ${error.message}`, 'stderr');
    if (child.exitCode === null && child.pid === undefined) exit(null, null);
  });
  forwardLines(child.stdout, 'stdout', handlers);
  forwardLines(child.stderr, 'stderr', handlers);

  return {
    get pid() {
      return child.pid;
    },
    send(message: HostToEngine) {
      if (!child.connected) throw new Error('the engine process is not connected');
      child.send(message);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function forwardLines(stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr', handlers: EngineChildHandlers): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) handlers.output(line, name);
  });
  stream.on('end', () => {
    if (buffered) handlers.output(buffered, name);
    buffered = '';
  });
}
