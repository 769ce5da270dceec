import type { AnalyzeParams } from '../../protocol/engine';
import type { AnalyzeReport } from '../../protocol/report';
import { EngineFailure, type JobContext } from './context';

// Replaced by the issue that builds this job.
export async function analyzeJob(_params: AnalyzeParams, _ctx: JobContext): Promise<AnalyzeReport> {
  throw new EngineFailure('unsupported', 'The analyze job is not built yet.');
}
