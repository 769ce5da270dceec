// The typed RPC client over one engine child process: lazily started, every request settles
// (result, readable error, cancelled), all pending requests reject when the process exits, and the
// next request starts a fresh process. No vscode import: unit tests drive it with a fake child.
import type {
  EngineError,
  EngineErrorCode,
  EngineInfo,
  EngineMethod,
  EngineRequests,
  EngineToHost,
  HostToEngine,
  JobProgress,
  LogLevel,
} from '../../protocol/engine';

/** The part of a child process the connection uses. */
export interface EngineChild {
  readonly pid: number | undefined;
  send(message: HostToEngine): void;
  /** Ends the process at once (SIGKILL). */
  kill(): void;
}

export interface EngineChildHandlers {
  message(message: EngineToHost): void;
  exit(code: number | null, signal: string | null): void;
  /** Lines the process printed on stdout/stderr (TensorFlow.js warnings, crashes). */
  output(line: string, stream: 'stdout' | 'stderr'): void;
}

export type StartEngine = (handlers: EngineChildHandlers) => EngineChild;

/** Structurally a vscode.CancellationToken, so the extension passes its tokens straight in. */
export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

export interface ConnectionRequestOptions {
  token?: CancellationLike;
  onProgress?: (progress: JobProgress) => void;
}

export interface ConnectionEvents {
  log?(level: LogLevel, message: string, time: string): void;
  ready?(info: EngineInfo): void;
  /** The process ended; `expected` is false for crashes and kills. */
  exited?(description: string, expected: boolean): void;
}

/** A request that did not produce a result. `code` is 'cancelled' for cancellations. */
export class EngineRequestError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'EngineRequestError';
  }

  static from(error: EngineError): EngineRequestError {
    return new EngineRequestError(error.code, error.message, error.file);
  }
}

interface Pending {
  method: EngineMethod;
  resolve(result: unknown): void;
  reject(error: EngineRequestError): void;
  onProgress?: (progress: JobProgress) => void;
  killTimer?: NodeJS.Timeout;
  cancelSubscription?: { dispose(): unknown };
}

interface Session {
  child: EngineChild;
  info?: EngineInfo;
  stopping: boolean;
}

export const CANCEL_GRACE_MS = 5000;

export class EngineConnection {
  private session: Session | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly start: StartEngine,
    private readonly events: ConnectionEvents = {},
    /** How long a cancelled request may take to settle before the process is killed. */
    private readonly cancelGraceMs = CANCEL_GRACE_MS,
  ) {}

  get pid(): number | undefined {
    return this.session?.child.pid;
  }

  get info(): EngineInfo | undefined {
    return this.session?.info;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  request<M extends EngineMethod>(
    method: M,
    params: EngineRequests[M]['params'],
    options: ConnectionRequestOptions = {},
  ): Promise<EngineRequests[M]['result']> {
    if (this.disposed) return Promise.reject(new EngineRequestError('internal', 'The Quench engine has been shut down.'));
    if (options.token?.isCancellationRequested) return Promise.reject(cancelledError(method));
    let session: Session;
    try {
      session = this.ensureSession();
    } catch (error) {
      return Promise.reject(new EngineRequestError('internal', `The Quench engine could not start: ${(error as Error).message}`));
    }
    const id = this.nextId++;
    return new Promise<EngineRequests[M]['result']>((resolve, reject) => {
      const entry: Pending = { method, resolve: resolve as (r: unknown) => void, reject, onProgress: options.onProgress };
      this.pending.set(id, entry);
      entry.cancelSubscription = options.token?.onCancellationRequested(() => this.cancel(id));
      try {
        session.child.send({ type: 'request', id, method, params });
      } catch (error) {
        this.settle(id, (p) => p.reject(new EngineRequestError('internal', `Could not reach the Quench engine: ${(error as Error).message}`)));
      }
    });
  }

  /** Asks the engine to stop request `id`; kills the process when it has not settled in time. */
  cancel(id: number): void {
    const entry = this.pending.get(id);
    const session = this.session;
    if (!entry || !session || entry.killTimer) return;
    try {
      session.child.send({ type: 'cancel', id });
    } catch {
      // The process is gone; its exit handler settles the request.
    }
    entry.killTimer = setTimeout(() => {
      if (!this.pending.has(id) || this.session !== session) return;
      this.events.log?.(
        'warn',
        `The engine did not stop ${entry.method} within ${Math.round(this.cancelGraceMs / 1000)} s of the cancel request; restarting it.`,
        new Date().toISOString(),
      );
      this.settle(id, (p) => p.reject(cancelledError(p.method)));
      this.killSession(session);
    }, this.cancelGraceMs);
  }

  /** Ends the process (pending requests reject); the next request starts a new one. */
  restart(): void {
    if (this.session) this.killSession(this.session, 'The Quench engine was restarted');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const session = this.session;
    if (!session) return;
    session.stopping = true;
    this.rejectAll(new EngineRequestError('cancelled', 'The Quench engine was shut down.'));
    try {
      session.child.send({ type: 'shutdown' });
    } catch {
      session.child.kill();
    }
    // A shutdown the engine does not finish promptly ends with a kill.
    setTimeout(() => session.child.kill(), 3000).unref();
    this.session = undefined;
  }

  private ensureSession(): Session {
    if (this.session) return this.session;
    const session: Session = { child: undefined as unknown as EngineChild, stopping: false };
    session.child = this.start({
      message: (message) => this.onMessage(session, message),
      exit: (code, signal) => this.onExit(session, code, signal),
      output: (line, stream) => {
        if (line.trim()) this.events.log?.(stream === 'stderr' ? 'warn' : 'info', line, new Date().toISOString());
      },
    });
    this.session = session;
    return session;
  }

  private onMessage(session: Session, message: EngineToHost): void {
    if (session !== this.session) return;
    switch (message.type) {
      case 'ready':
        session.info = message.info;
        this.events.ready?.(message.info);
        break;
      case 'log':
        this.events.log?.(message.level, message.message, message.time);
        break;
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.progress);
        break;
      case 'result':
        this.settle(message.id, (p) => p.resolve(message.result));
        break;
      case 'error':
        this.settle(message.id, (p) => p.reject(EngineRequestError.from(message.error)));
        break;
      case 'cancelled':
        this.settle(message.id, (p) => p.reject(cancelledError(p.method)));
        break;
    }
  }

  private onExit(session: Session, code: number | null, signal: string | null): void {
    const how = signal
      ? `was killed (${signal})`
      : code === null
        ? 'could not be started (check the quench.nodePath setting)'
        : `exited with code ${code}`;
    const expected = session.stopping;
    if (session === this.session) {
      this.session = undefined;
      const hint = code === 134 || (code !== null && code >= 128 && !signal) ? ' It may have run out of memory; see the quench.maxMemoryMB setting.' : '';
      this.rejectAll(
        new EngineRequestError('internal', `The Quench engine ${how} while running this request.${hint} It restarts on the next request; see the Quench output for its log.`),
      );
    }
    this.events.exited?.(`The Quench engine (pid ${session.child.pid}) ${how}.`, expected);
  }

  private killSession(session: Session, reason?: string): void {
    session.stopping = true;
    if (this.session === session) {
      this.session = undefined;
      if (reason) this.rejectAll(new EngineRequestError('internal', `${reason} while this request ran.`));
      else this.rejectAll(new EngineRequestError('internal', 'The Quench engine was restarted because it did not respond to a cancel request.'));
    }
    session.child.kill();
  }

  private settle(id: number, action: (entry: Pending) => void): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (entry.killTimer) clearTimeout(entry.killTimer);
    entry.cancelSubscription?.dispose();
    action(entry);
  }

  private rejectAll(error: EngineRequestError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(error));
  }
}

function cancelledError(method: EngineMethod): EngineRequestError {
  return new EngineRequestError('cancelled', `The ${method} job was cancelled.`);
}
