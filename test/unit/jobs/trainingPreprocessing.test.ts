// Training data found beside the evaluation data is read with the evaluation data's normalisation
// when it states none of its own, and a note warns when both state different ones.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { openTrainingData, trainingPreprocessing } from '../../../src/engine/jobs/analyze';
import { openModel, type LoadedModel } from '../../../src/engine/formats';
import type { Dataset } from '../../../src/engine/data/types';
import { copyTiny, tempFolder, useWasm, writeIdxFamily } from './helpers';

/** The first training image's first value as the job's batches give it. */
async function firstValue(train: Dataset): Promise<number> {
  for await (const batch of train.batches({ batchSize: 1, end: 1 })) {
    const value = (await batch.x.data())[0]!;
    batch.x.dispose();
    return value;
  }
  throw new Error('no batch');
}

async function rawFirstPixel(dir: string): Promise<number> {
  return (await fs.readFile(path.join(dir, 'train-images-idx3-ubyte')))[16]!;
}

describe('openTrainingData reads training data as the evaluation data is read', () => {
  let dir: string;
  let evalPath: string;
  let loaded: LoadedModel;

  before(async () => {
    await useWasm();
    dir = await tempFolder('trainprep');
    loaded = await openModel(await copyTiny(dir));
    evalPath = await writeIdxFamily(dir, 20, 30);
  });

  const open = async (notes: string[]) => {
    const train = await openTrainingData(undefined, evalPath, loaded, notes);
    assert.ok(train, 'the train split beside t10k is found');
    return train;
  };

  it('without descriptors both are inferred: nothing changes, no note about preprocessing', async () => {
    const notes: string[] = [];
    const train = await open(notes);
    try {
      assert.deepEqual(train.info.preprocessing, { scale: '0..1', source: 'inferred' });
      assert.equal(notes.length, 1, notes.join('\n'));
      assert.match(notes[0]!, /^Training data found beside the evaluation data/);
      assert.ok(Math.abs((await firstValue(train)) - (await rawFirstPixel(dir)) / 255) < 1e-6);
    } finally {
      train.close?.();
    }
  });

  it("an inferred training set takes the evaluation descriptor's mean/std, with a note", async () => {
    const descriptor = path.join(dir, 't10k.dataset.json');
    await fs.writeFile(descriptor, JSON.stringify({ mean: [0.5], std: [0.25] }));
    try {
      const notes: string[] = [];
      const train = await open(notes);
      try {
        assert.deepEqual({ ...train.info.preprocessing, source: undefined }, { scale: '0..1', mean: [0.5], std: [0.25], source: undefined });
        assert.ok(notes.some((n) => /states no preprocessing of its own; it is read with the evaluation data's \(mean \[0\.5\], std \[0\.25\]\)/.test(n)), notes.join('\n'));
        const expected = ((await rawFirstPixel(dir)) / 255 - 0.5) / 0.25;
        assert.ok(Math.abs((await firstValue(train)) - expected) < 1e-5, `first value ${await firstValue(train)} vs ${expected}`);
      } finally {
        train.close?.();
      }
    } finally {
      await fs.rm(descriptor);
    }
  });

  it('both explicit and different: the training set keeps its own, and a note warns', async () => {
    const evalDescriptor = path.join(dir, 't10k.dataset.json');
    const trainDescriptor = path.join(dir, 'train.dataset.json');
    await fs.writeFile(evalDescriptor, JSON.stringify({ mean: [0.5], std: [0.25] }));
    await fs.writeFile(trainDescriptor, JSON.stringify({ mean: [0.1], std: [0.3] }));
    try {
      const notes: string[] = [];
      const train = await open(notes);
      try {
        assert.deepEqual(train.info.preprocessing, { scale: '0..1', mean: [0.1], std: [0.3], source: 'descriptor' });
        const warning = notes.find((n) => n.includes('preprocessed differently from the evaluation data'));
        assert.ok(warning, notes.join('\n'));
        assert.match(warning, /training: scale 0\.\.1, mean \[0\.1\], std \[0\.3\]; evaluation: scale 0\.\.1, mean \[0\.5\], std \[0\.25\]/);
        assert.match(warning, /normalised differently/);
      } finally {
        train.close?.();
      }
    } finally {
      await fs.rm(evalDescriptor);
      await fs.rm(trainDescriptor);
    }
  });

  it('one descriptor for both (the folder dataset.json): same preprocessing, no note', async () => {
    const shared = path.join(dir, 'dataset.json');
    await fs.writeFile(shared, JSON.stringify({ mean: [0.5], std: [0.25] }));
    try {
      const notes: string[] = [];
      const train = await open(notes);
      try {
        assert.deepEqual(train.info.preprocessing, { scale: '0..1', mean: [0.5], std: [0.25], source: 'descriptor' });
        assert.equal(notes.length, 1, notes.join('\n'));
      } finally {
        train.close?.();
      }
    } finally {
      await fs.rm(shared);
    }
  });
});

describe('trainingPreprocessing', () => {
  it('takes only what the evaluation descriptor states (a scale alone leaves mean/std unset)', () => {
    const fit = trainingPreprocessing({ scale: 'none', source: 'inferred' }, { scale: '-1..1' }, '/d/train');
    assert.deepEqual(fit.reopenWith, { scale: '-1..1' });
    assert.match(fit.note!, /\(scale -1\.\.1, no mean, no std\)/);
  });

  it('nothing to do where the evaluation data states nothing or the same', () => {
    assert.deepEqual(trainingPreprocessing({ scale: '0..1', source: 'inferred' }, undefined, '/d/train'), {});
    assert.deepEqual(trainingPreprocessing({ scale: '0..1', mean: [0.5], std: [0.2], source: 'descriptor' }, { mean: [0.5], std: [0.2] }, '/d/train'), {});
  });
});
