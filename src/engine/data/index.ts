// Dataset registry: recognises what a path holds (IDX pair, .npz/.npy, CIFAR batches, image folder),
// opens it with the descriptor beside it, and checks it against the model.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import type { DatasetKind } from '../../protocol/report';
import { EngineFailure } from '../core/errors';
import { locateCifar, looksLikeCifar, openCifar } from './cifar';
import { type DatasetDescriptor, findDescriptor, folderDescriptorPath } from './descriptor';
import { createDataset, type ModelExpectations } from './dataset';
import { readFileOrFail, readHead } from './files';
import { locateIdxPair, looksLikeIdx, openIdx } from './idx';
import { looksLikeImageFolder, openImageFolder } from './imageFolder';
import { isNpy } from './npy';
import { openNpy, openNpz } from './numpy';
import type { ImageSource, SourceOptions } from './source';
import type { Dataset } from './types';

export type { ModelExpectations } from './dataset';
export type { Batch, BatchOptions, Dataset } from './types';

export interface OpenDatasetOptions extends ModelExpectations {
  /** 'test' (default) or 'train' where the data holds both. */
  split?: string;
}

const openers: Record<DatasetKind, (p: string, o: SourceOptions) => Promise<ImageSource>> = {
  idx: openIdx,
  npz: openNpz,
  npy: openNpy,
  cifar: openCifar,
  'image-folder': openImageFolder,
};

/** Cheap: by name, folder contents and magic bytes. */
export async function detectDatasetKind(given: string): Promise<DatasetKind> {
  const stat = await fs.stat(given).catch(() => null);
  if (!stat) {
    // A shared prefix like `data/t10k` names an IDX pair.
    if (await locateIdxPair(given).then(() => true, () => false)) return 'idx';
    throw new EngineFailure('io', 'no such file or folder', given);
  }
  if (stat.isDirectory()) {
    const entries = await fs.readdir(given);
    if (entries.some((n) => looksLikeIdx(n))) return 'idx';
    if (entries.some((n) => looksLikeCifar(n))) return 'cifar';
    if (await looksLikeImageFolder(given)) return 'image-folder';
    throw new EngineFailure('bad-data', 'no dataset here: expected IDX files, CIFAR *.bin batches, or one sub-folder of images per class', given);
  }
  const lower = given.toLowerCase();
  if (lower.endsWith('.npz')) return 'npz';
  if (lower.endsWith('.npy')) return 'npy';
  if (looksLikeIdx(given)) return 'idx';
  if (looksLikeCifar(given) || /^(data|test)_batch(_\d+)?$/.test(path.basename(given))) return 'cifar';
  const head = await readHead(given, 8);
  if (isNpy(head)) return 'npy';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'npz';
  if (/\.(png|jpe?g)$/i.test(lower)) {
    throw new EngineFailure('bad-data', 'this is a single image; name the folder that holds one sub-folder per class', given);
  }
  throw new EngineFailure('bad-data', 'unrecognised dataset: expected an IDX pair, .npz/.npy, a CIFAR binary batch or an image folder', given);
}

/** Opens `dataPath` for a model with the given input shape and class count. */
export async function openDataset(dataPath: string, options: OpenDatasetOptions): Promise<Dataset> {
  const kind = await detectDatasetKind(dataPath);
  const { found, target } = await descriptorOf(dataPath);
  // A split asked for (the training data beside the evaluation data) wins over the descriptor's
  // default split and limit, which say how the evaluation data is read.
  const descriptor = found && options.split !== undefined ? { ...found, split: options.split, limit: undefined } : found;
  const source = await openers[kind](dataPath, {
    split: options.split ?? descriptor?.split,
    layout: descriptor?.layout,
    classes: options.classes,
  });
  try {
    return createDataset(source, options, descriptor, target);
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * The descriptor that applies to a dataset path (none when no candidate file exists) and the file
 * a setting for it goes to: that descriptor, else the folder's `dataset.json`.
 */
export async function descriptorOf(dataPath: string): Promise<{ found?: DatasetDescriptor; target: string }> {
  const isFolder = await fs.stat(dataPath).then((s) => s.isDirectory(), () => false);
  const found = await findDescriptor(dataPath, isFolder);
  return { found, target: found?.file ?? folderDescriptorPath(path.resolve(dataPath), isFolder) };
}

/**
 * The training data that belongs with an evaluation set, when it sits beside it: `train-*` next to
 * `t10k-*`, `data_batch_*.bin` next to `test_batch.bin`, `x_train` in the same .npz, a `train`
 * folder beside `test`. Pass the result's path and split to openDataset.
 */
export async function findTrainingSplit(evalPath: string): Promise<{ path: string; split: 'train' } | null> {
  const kind = await detectDatasetKind(evalPath).catch(() => null);
  const ok = (p: string) => ({ path: p, split: 'train' as const });
  switch (kind) {
    case 'idx': {
      const stat = await fs.stat(evalPath).catch(() => null);
      const folder = stat?.isDirectory() ? evalPath : path.dirname(evalPath);
      const pair = await locateIdxPair(folder, 'train').catch(() => null);
      return pair && /train/i.test(path.basename(pair.images)) ? ok(pair.images) : null;
    }
    case 'cifar': {
      const stat = await fs.stat(evalPath);
      const folder = stat.isDirectory() ? evalPath : path.dirname(evalPath);
      return (await locateCifar(folder, 'train').then(() => true, () => false)) ? ok(folder) : null;
    }
    case 'npz': {
      const names = zipMemberNames(await readFileOrFail(evalPath));
      return names.some((n) => /^(x_train|train_images|X_train)\.npy$/.test(n)) ? ok(evalPath) : null;
    }
    case 'npy': {
      const candidate = path.join(path.dirname(evalPath), path.basename(evalPath).replace(/test|val/i, 'train'));
      return candidate !== evalPath && (await fs.stat(candidate).then(() => true, () => false)) ? ok(candidate) : null;
    }
    case 'image-folder': {
      const base = path.basename(evalPath);
      if (!/^(test|val|valid|validation)$/i.test(base)) return null;
      const candidate = path.join(path.dirname(evalPath), base === base.toUpperCase() ? 'TRAIN' : 'train');
      return (await looksLikeImageFolder(candidate)) ? ok(candidate) : null;
    }
    default:
      return null;
  }
}

function zipMemberNames(bytes: Uint8Array): string[] {
  const names: string[] = [];
  try {
    unzipSync(bytes, { filter: (file) => (names.push(file.name), false) });
  } catch {
    return [];
  }
  return names;
}
