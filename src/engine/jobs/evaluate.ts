import type { EvalParams } from '../../protocol/engine';
import type { EvalReport } from '../../protocol/report';
import { EngineFailure, type JobContext } from './context';

// Replaced by the issue that builds this job.
export async function evaluateJob(_params: EvalParams, _ctx: JobContext): Promise<EvalReport> {
  throw new EngineFailure('unsupported', 'The evaluate job is not built yet.');
}
