// `analyze`: the SFP analysis of METHOD.md §3-§6 — per analysed layer the readout accuracy, the
// filters' clusters and label sets, noise and SNR — and optionally the matrices side file.
import * as path from 'node:path';
import type { AnalyzeParams } from '../../protocol/engine';
import type { AnalyzeReport, PreprocessingInfo } from '../../protocol/report';
import { initBackend } from '../backend';
import { descriptorOf, findTrainingSplit } from '../data';
import type { Dataset } from '../data/types';
import { writeFilesAtomically } from '../formats/atomic';
import type { LoadedModel } from '../formats';
import { sfpSection, type SfpAnalysis } from '../sfp/analyze';
import { runSfp, sfpOptions } from '../pipeline/sfp';
import { encodeMatricesFile } from '../sfp/matricesFile';
import { disposeModel, loadDatasetForModel, loadModelForJob, reportBase, Stopwatch } from './common';
import { throwIfCancelled, type JobContext } from '../core/context';

// The analyse step's helpers live in pipeline/sfp.ts; benches import them from here too.
export { runSfp, sfpOptions };

/**
 * Training data for readouts, BatchNorm re-estimation and fine-tuning: the named path, else the
 * training split found beside the evaluation data, else none (callers then split or skip).
 */
export async function openTrainingData(
  named: string | undefined,
  evalPath: string,
  loaded: LoadedModel,
  notes: string[],
): Promise<Dataset | null> {
  let where: { path: string; split: string };
  if (named) {
    where = { path: named, split: 'train' };
  } else {
    const found = await findTrainingSplit(evalPath);
    if (!found) return null;
    notes.push(`Training data found beside the evaluation data: ${found.path}.`);
    where = found;
  }
  const train = await loadDatasetForModel(where.path, loaded, { split: where.split });
  const fit = trainingPreprocessing(train.info.preprocessing, (await descriptorOf(evalPath)).found, train.info.path);
  if (fit.note) notes.push(fit.note);
  if (!fit.reopenWith) return train;
  train.close?.();
  return loadDatasetForModel(where.path, loaded, { split: where.split, preprocessing: fit.reopenWith });
}

type Explicit = Pick<PreprocessingInfo, 'scale' | 'mean' | 'std'>;

/**
 * Training data is read the way the evaluation data is: where the training set's preprocessing was
 * only inferred and the evaluation set's descriptor sets scale, mean or std otherwise, the training
 * set is read with those (`reopenWith`); where both state their own and they differ, a note warns.
 */
export function trainingPreprocessing(
  train: PreprocessingInfo,
  evaluation: Partial<Explicit> | undefined,
  trainPath: string,
): { reopenWith?: Partial<Explicit>; note?: string } {
  const explicit: Partial<Explicit> = {};
  if (evaluation?.scale !== undefined) explicit.scale = evaluation.scale;
  if (evaluation?.mean !== undefined) explicit.mean = evaluation.mean;
  if (evaluation?.std !== undefined) explicit.std = evaluation.std;
  const keys = Object.keys(explicit) as (keyof Explicit)[];
  const differs = keys.filter((k) => !sameValue(train[k], explicit[k]));
  if (differs.length === 0) return {};
  if (train.source === 'inferred') {
    return {
      reopenWith: explicit,
      note: `The training data (${trainPath}) states no preprocessing of its own; it is read with the evaluation data's (${describe(explicit)}).`,
    };
  }
  return {
    note:
      `The training data (${trainPath}) is preprocessed differently from the evaluation data (training: ${describe(train)}; evaluation: ${describe({ ...train, ...explicit })}): ` +
      'fine-tuning and readouts learn from data normalised differently from the data the accuracy is measured on.',
  };
}

function sameValue(a: string | number[] | undefined, b: string | number[] | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

function describe(p: Partial<Explicit>): string {
  const parts: string[] = [];
  if (p.scale) parts.push(`scale ${p.scale}`);
  parts.push(p.mean ? `mean [${p.mean.join(', ')}]` : 'no mean');
  parts.push(p.std ? `std [${p.std.join(', ')}]` : 'no std');
  return parts.join(', ');
}

/** Writes the matrices side file (binary, see SfpMatricesFile) atomically; never over the model. */
export async function writeMatricesFile(analysis: SfpAnalysis, file: string, protectedFiles: string[]): Promise<string> {
  const bytes = encodeMatricesFile(analysis.classes, analysis.layers.map((l) => ({ name: l.block.name, filters: l.matrices.filters, data: l.matrices.data })));
  const [written] = await writeFilesAtomically([{ path: file, data: bytes }], protectedFiles);
  return written;
}

export async function analyzeJob(params: AnalyzeParams, ctx: JobContext): Promise<AnalyzeReport> {
  const watch = new Stopwatch();
  const backend = await initBackend();
  const loaded = await loadModelForJob(params.model, ctx);
  const opened: Dataset[] = [];
  try {
    watch.lap('load');
    const notes: string[] = [];
    const data = await loadDatasetForModel(params.data, loaded, { limit: params.limit });
    opened.push(data);
    if (data.info.note) notes.push(data.info.note);
    const train = await openTrainingData(params.trainData, params.data, loaded, notes);
    if (train) opened.push(train);
    watch.lap('read-data');
    const base = await reportBase('analyze', loaded, backend);
    const options = sfpOptions(params, { blocks: params.layers, trainData: train ?? undefined });
    const analysis = await runSfp(loaded, data, options, ctx);
    throwIfCancelled(ctx);
    const timings = [...watch.timings(), ...analysis.timings];
    let started = performance.now();
    const section = sfpSection(analysis, options.threshold);
    timings.push({ stage: 'clusters', seconds: (performance.now() - started) / 1000 });
    if (params.matricesPath) {
      started = performance.now();
      section.matricesPath = await writeMatricesFile(analysis, path.resolve(params.matricesPath), loaded.files);
      timings.push({ stage: 'write-matrices', seconds: (performance.now() - started) / 1000 });
    }
    return { ...base, dataset: data.info, sfp: section, timings: timings.map((t) => ({ ...t, seconds: Math.round(t.seconds * 1000) / 1000 })), notes: [...base.notes, ...notes, ...analysis.notes] };
  } finally {
    opened.forEach((d) => d.close?.());
    disposeModel(loaded);
  }
}
