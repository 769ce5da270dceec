// What every job step receives: a cancellation signal, a progress sink and a log.
import type { JobProgress, LogLevel } from '../../protocol/engine';
import { JobCancelled } from './errors';

export interface JobContext {
  signal: AbortSignal;
  progress(progress: JobProgress): void;
  log(level: LogLevel, message: string): void;
}

/** Call between steps: throws JobCancelled once the job's signal has fired. */
export function throwIfCancelled(ctx: Pick<JobContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new JobCancelled();
}

/** A context for callers that want no progress and no cancellation (tests, benchmarks). */
export function quietContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { signal, progress: () => undefined, log: () => undefined };
}
