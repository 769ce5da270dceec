import type { ProbeParams, ProbeResult } from '../../protocol/engine';
import { EngineFailure, type JobContext } from './context';

// Replaced by the issue that builds this job.
export async function probeJob(_params: ProbeParams, _ctx: JobContext): Promise<ProbeResult> {
  throw new EngineFailure('unsupported', 'The probe job is not built yet.');
}
