// Method -> job. The engine process (main.ts) and the CLI both run jobs through this map.
import type { EngineMethod, EngineRequests } from '../../protocol/engine';
import type { JobContext } from '../core/context';
import { analyzeJob } from './analyze';
import { compareJob } from './compare';
import { datasetDescriptorJob } from './datasetDescriptor';
import { evaluateJob } from './evaluate';
import { infoJob } from './info';
import { inspectJob } from './inspect';
import { probeJob } from './probe';
import { pruneJob } from './prune';
import { sweepJob } from './sweep';

export type Job<M extends EngineMethod> = (
  params: EngineRequests[M]['params'],
  ctx: JobContext,
) => Promise<EngineRequests[M]['result']>;

export const jobs: { [M in EngineMethod]: Job<M> } = {
  info: infoJob,
  probe: probeJob,
  inspect: inspectJob,
  datasetDescriptor: datasetDescriptorJob,
  evaluate: evaluateJob,
  analyze: analyzeJob,
  prune: pruneJob,
  compare: compareJob,
  sweep: sweepJob,
};

export function runJob<M extends EngineMethod>(
  method: M,
  params: EngineRequests[M]['params'],
  ctx: JobContext,
): Promise<EngineRequests[M]['result']> {
  const job = jobs[method] as Job<M> | undefined;
  if (!job) throw new Error(`Unknown engine method: ${String(method)}`);
  return job(params, ctx);
}
