// `datasetDescriptor`: which `*.dataset.json` applies to a dataset and what normalisation it states;
// with `set`, writes mean/std into it (or into a new `dataset.json` beside the data). Quick: reads
// names and the descriptor only, never the images.
import * as path from 'node:path';
import type { DatasetDescriptorParams, DatasetDescriptorResult } from '../../protocol/engine';
import { descriptorOf, detectDatasetKind } from '../data';
import { type DatasetDescriptor, updateDescriptor } from '../data/descriptor';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';

export async function datasetDescriptorJob(params: DatasetDescriptorParams, ctx: JobContext): Promise<DatasetDescriptorResult> {
  if (typeof params?.data !== 'string' || params.data === '') throw new EngineFailure('bad-data', 'datasetDescriptor needs the dataset path ("data")');
  const data = path.resolve(params.data);
  // The data must be a dataset Quench reads: no descriptor is created beside anything else.
  await detectDatasetKind(data);
  const { found, target } = await descriptorOf(data);
  throwIfCancelled(ctx);
  if (!params.set) return describe(found, target);
  const { mean, std } = params.set;
  checkValues('mean', mean, target);
  checkValues('std', std, target);
  if (std.some((v) => v === 0)) throw new EngineFailure('bad-data', 'cannot set "std": it must not contain 0', target);
  const written = await updateDescriptor(target, { mean, std });
  ctx.log('info', `Normalisation set in ${target}: mean [${mean.join(', ')}], std [${std.join(', ')}].`);
  return describe(written, target);
}

function checkValues(key: 'mean' | 'std', values: unknown, target: string): asserts values is number[] {
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new EngineFailure('bad-data', `cannot set "${key}": it must be a list of finite numbers (one per channel, or one for all)`, target);
  }
}

function describe(descriptor: DatasetDescriptor | undefined, target: string): DatasetDescriptorResult {
  return {
    ...(descriptor && { descriptor: descriptor.file }),
    ...(descriptor?.scale && { scale: descriptor.scale }),
    ...(descriptor?.mean && { mean: descriptor.mean }),
    ...(descriptor?.std && { std: descriptor.std }),
    target,
  };
}
