import type { PruneParams } from '../../protocol/engine';
import type { PruneReport } from '../../protocol/report';
import { EngineFailure, type JobContext } from './context';

// Replaced by the issue that builds this job.
export async function pruneJob(_params: PruneParams, _ctx: JobContext): Promise<PruneReport> {
  throw new EngineFailure('unsupported', 'The prune job is not built yet.');
}
