// Engine process entry: a typed request loop over the IPC channel that child_process.fork (or a
// spawn with an 'ipc' stdio) opens. Every request settles with a result, an error or 'cancelled'.
import type { EngineError, EngineInfo, EngineToHost, HostToEngine, JobProgress, LogLevel } from '../protocol/engine';
import { runJob } from './jobs';
import { EngineFailure, JobCancelled } from './core/errors';
import { type JobContext } from './core/context';

interface RunningRequest {
  method: string;
  controller: AbortController;
  throttle: ProgressThrottle;
  settled: boolean;
}

const running = new Map<number, RunningRequest>();

/** At most one progress message per job every 100 ms; the latest wins, and the last is flushed. */
const PROGRESS_INTERVAL_MS = 100;
class ProgressThrottle {
  private pending: JobProgress | undefined;
  private lastSent = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly emit: (progress: JobProgress) => void) {}

  push(progress: JobProgress): void {
    this.pending = progress;
    const wait = this.lastSent + PROGRESS_INTERVAL_MS - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    this.dispose();
    if (!this.pending) return;
    const progress = this.pending;
    this.pending = undefined;
    this.lastSent = Date.now();
    this.emit(progress);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function send(message: EngineToHost): void {
  // After the parent has gone there is nobody to tell; the 'disconnect' handler exits.
  if (process.connected && process.send) process.send(message);
}

function log(level: LogLevel, message: string): void {
  send({ type: 'log', level, time: new Date().toISOString(), message });
}

/** `--max-memory-mb=N` (or QUENCH_MAX_MEMORY_MB) is the budget jobs size their batches to. */
function applyMemoryBudget(): void {
  const arg = process.argv.find((a) => a.startsWith('--max-memory-mb='));
  const value = arg ? arg.slice('--max-memory-mb='.length) : process.env['QUENCH_MAX_MEMORY_MB'];
  if (value === undefined || value === '') return;
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0) {
    log('warn', `Ignoring memory budget "${value}": not a positive number of megabytes.`);
    delete process.env['QUENCH_MAX_MEMORY_MB'];
    return;
  }
  process.env['QUENCH_MAX_MEMORY_MB'] = String(Math.floor(mb));
}

function toEngineError(error: unknown): EngineError {
  if (error instanceof EngineFailure) return error.toProtocol();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: message || 'The engine failed without a message.' };
}

function settle(id: number, message: EngineToHost): void {
  const request = running.get(id);
  if (!request || request.settled) return;
  request.settled = true;
  request.throttle.flush();
  request.throttle.dispose();
  running.delete(id);
  send(message);
}

async function handleRequest(id: number, method: string, params: unknown): Promise<void> {
  if (running.has(id)) {
    send({ type: 'error', id, error: { code: 'internal', message: `Request id ${id} is already running.` } });
    return;
  }
  const controller = new AbortController();
  const throttle = new ProgressThrottle((progress) => send({ type: 'progress', id, progress }));
  running.set(id, { method, controller, throttle, settled: false });
  const ctx: JobContext = {
    signal: controller.signal,
    progress: (progress) => throttle.push(progress),
    log: (level, message) => log(level, `[${method} #${id}] ${message}`),
  };
  try {
    // The protocol guarantees method/params agree; the job validates its own params.
    const result = await runJob(method as 'info', params as Record<string, never>, ctx);
    settle(id, { type: 'result', id, result });
  } catch (error) {
    if (error instanceof JobCancelled || controller.signal.aborted) {
      settle(id, { type: 'cancelled', id });
    } else {
      if (!(error instanceof EngineFailure)) log('error', `[${method} #${id}] ${(error as Error)?.stack ?? String(error)}`);
      settle(id, { type: 'error', id, error: toEngineError(error) });
    }
  }
}

/** An exception no job caught: report it, and fail the running requests rather than dying silently. */
function failRunning(kind: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  log('error', `${kind} in the engine: ${detail}`);
  const engineError = toEngineError(error);
  for (const [id, request] of [...running]) {
    request.controller.abort();
    settle(id, { type: 'error', id, error: { ...engineError, message: `${kind}: ${engineError.message}` } });
  }
}

async function shutdown(): Promise<void> {
  for (const request of running.values()) request.controller.abort();
  // Give jobs a moment to reach their next cancellation check and remove partial outputs.
  const deadline = Date.now() + 2000;
  while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  process.exit(0);
}

async function engineInfo(): Promise<EngineInfo> {
  const ctx: JobContext = {
    signal: new AbortController().signal,
    progress: () => undefined,
    log: (level, message) => log(level, `[info] ${message}`),
  };
  return runJob('info', {}, ctx);
}

function main(): void {
  if (!process.send) {
    process.stderr.write('The Quench engine runs as a child process with an IPC channel; use the `quench` CLI instead.\n');
    process.exit(2);
  }
  applyMemoryBudget();
  process.on('uncaughtException', (error) => failRunning('Uncaught exception', error));
  process.on('unhandledRejection', (reason) => failRunning('Unhandled rejection', reason));
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: HostToEngine) => {
    switch (raw?.type) {
      case 'request':
        void handleRequest(raw.id, raw.method, raw.params);
        break;
      case 'cancel':
        running.get(raw.id)?.controller.abort();
        break;
      case 'shutdown':
        void shutdown();
        break;
      default:
        log('warn', `Ignoring an unknown message: ${JSON.stringify(raw).slice(0, 200)}`);
    }
  });
  engineInfo().then(
    (info) => send({ type: 'ready', info }),
    // Requests do not wait for 'ready'; without info the host simply has nothing to show.
    (error: unknown) => log('warn', `Engine info unavailable: ${(error as Error)?.message ?? String(error)}`),
  );
}

main();
