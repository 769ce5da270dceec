import type { CompareParams } from '../../protocol/engine';
import type { CompareReport } from '../../protocol/report';
import { EngineFailure, type JobContext } from './context';

// Replaced by the issue that builds this job.
export async function compareJob(_params: CompareParams, _ctx: JobContext): Promise<CompareReport> {
  throw new EngineFailure('unsupported', 'The compare job is not built yet.');
}
