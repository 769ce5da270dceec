// The analyse step: SFP options from a job's parameters, and the analysis with readable errors.
import type { Dataset } from '../data/types';
import type { LoadedModel } from '../formats';
import { analyzeSfp, DEFAULT_SFP, type SfpAnalysis, type SfpOptions } from '../sfp/analyze';
import { EngineFailure } from '../core/errors';
import type { JobContext } from '../core/context';

/** SFP options from job parameters. */
export function sfpOptions(params: { readoutEpochs?: number; seed?: number; threshold?: number }, overrides: Partial<SfpOptions>): SfpOptions {
  const epochs = params.readoutEpochs ?? DEFAULT_SFP.readout.epochs;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new EngineFailure('mismatch', `readout epochs must be a positive integer (got ${epochs})`);
  const threshold = params.threshold ?? DEFAULT_SFP.threshold;
  if (!(threshold >= 0 && threshold < 1)) throw new EngineFailure('mismatch', `the cluster threshold must be in [0, 1) (got ${threshold})`);
  return { ...DEFAULT_SFP, threshold, ...overrides, readout: { ...DEFAULT_SFP.readout, epochs, seed: params.seed ?? DEFAULT_SFP.readout.seed } };
}

/** Runs the analysis and turns plain errors (a missing layer, a class mismatch) into readable failures. */
export async function runSfp(loaded: LoadedModel, data: Dataset, options: SfpOptions, ctx: JobContext): Promise<SfpAnalysis> {
  return failReadably(loaded, () => analyzeSfp(loaded.model, data, options, ctx));
}

/** Readable errors are thrown where they arise; the job names the model they concern. */
export function failReadably<T>(loaded: LoadedModel, run: () => T): T {
  const named = (error: unknown): never => {
    if (error instanceof EngineFailure && !error.file) throw new EngineFailure(error.code, error.message, loaded.path);
    throw error;
  };
  try {
    const result = run();
    return (result instanceof Promise ? result.catch(named) : result) as T;
  } catch (error) {
    return named(error);
  }
}
