// What every job step receives: a cancellation signal, a progress sink and a log.
import type { EngineError, EngineErrorCode, JobProgress, LogLevel } from '../../protocol/engine';

export interface JobContext {
  signal: AbortSignal;
  progress(progress: JobProgress): void;
  log(level: LogLevel, message: string): void;
}

/** An error the user can read: names the file and the problem. */
export class EngineFailure extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(file && !message.includes(file) ? `${file}: ${message}` : message);
    this.name = 'EngineFailure';
  }

  toProtocol(): EngineError {
    return { code: this.code, message: this.message, file: this.file };
  }
}

export class JobCancelled extends Error {
  constructor() {
    super('The job was cancelled.');
    this.name = 'JobCancelled';
  }
}

/** Call between steps: throws JobCancelled once the job's signal has fired. */
export function throwIfCancelled(ctx: Pick<JobContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new JobCancelled();
}

/** A context for callers that want no progress and no cancellation (tests, benchmarks). */
export function quietContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { signal, progress: () => undefined, log: () => undefined };
}
