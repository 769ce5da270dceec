import type { InspectParams } from '../../protocol/engine';
import type { InspectReport } from '../../protocol/report';
import { EngineFailure, type JobContext } from './context';

// Replaced by the issue that builds this job.
export async function inspectJob(_params: InspectParams, _ctx: JobContext): Promise<InspectReport> {
  throw new EngineFailure('unsupported', 'The inspect job is not built yet.');
}
