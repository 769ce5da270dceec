import type { EngineInfo } from '../../protocol/engine';
import { EngineFailure, type JobContext } from './context';

// Replaced by the issue that builds this job.
export async function infoJob(_params: Record<string, never>, _ctx: JobContext): Promise<EngineInfo> {
  throw new EngineFailure('unsupported', 'The info job is not built yet.');
}
