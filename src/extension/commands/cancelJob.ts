// quench.cancelJob: stops the running job of a model (or every job); returns how many were asked to stop.
import type { CommandDeps } from './deps';
import { commandInput } from './input';

export interface CancelJobArgs {
  model?: string;
  jobId?: number;
}

export function cancelJob(deps: CommandDeps, ...args: unknown[]): number {
  if (typeof args[0] === 'number') return deps.jobs.cancelById(args[0]) ? 1 : 0;
  const { target, options } = commandInput<CancelJobArgs>(args);
  if (options?.jobId !== undefined) return deps.jobs.cancelById(options.jobId) ? 1 : 0;
  const modelPath = typeof target === 'string' ? target : (target as { fsPath?: string } | undefined)?.fsPath ?? (target as { model?: { path: string } } | undefined)?.model?.path;
  return deps.jobs.cancel(modelPath);
}
