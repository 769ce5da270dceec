// Class names from every place they live, on the real files of test/fixtures/data (make.mjs writes
// them): the dataset descriptor, Teachable Machine's metadata.json beside model.json, an image
// folder's class folders, and what happens when a list does not fit the model.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { findTrainingSplit, openDataset } from '../../../src/engine/data';
import { descriptorCandidates } from '../../../src/engine/data/descriptor';
import { quietContext } from '../../../src/engine/core/context';
import { EngineFailure } from '../../../src/engine/core/errors';
import { openModel } from '../../../src/engine/formats';
import { evaluateJob } from '../../../src/engine/jobs/evaluate';
import { inspectJob } from '../../../src/engine/jobs/inspect';
import { pruneJob } from '../../../src/engine/jobs/prune';
import { pngBytes } from './writers';

const fixtures = path.resolve(__dirname, '../../fixtures/data');
const idx = (name: string) => path.join(fixtures, 'idx', `${name}-images-idx3-ubyte.gz`);
const model = (stem: string) => path.join(fixtures, 'model', `${stem}.json`);
const TEN = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const tiny = { inputShape: [8, 8, 1], classes: 10 };

let dir: string;
before(async () => {
  await tf.setBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quench-names-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

describe('dataset descriptor', () => {
  it('names the labels from <name>.dataset.json beside an IDX pair', async () => {
    const ds = await openDataset(idx('named'), tiny);
    assert.deepEqual(ds.info.labelNames, TEN);
    assert.equal(ds.info.note, undefined);
    assert.equal(ds.info.preprocessing.source, 'inferred', 'names alone do not make the preprocessing the descriptor\'s');
    const plain = await openDataset(idx('plain'), tiny);
    assert.equal(plain.info.labelNames, undefined, 'a pair with no descriptor has no names');
  });

  it('a folder\'s dataset.json ("classNames") names the test and the training split, given the folder or a file', async () => {
    const folder = path.join(fixtures, 'folder');
    const names = TEN.map((n) => `class ${n}`);
    assert.deepEqual((await openDataset(folder, tiny)).info.labelNames, names);
    assert.deepEqual((await openDataset(path.join(folder, 't10k-images-idx3-ubyte.gz'), tiny)).info.labelNames, names);
    const train = await findTrainingSplit(folder);
    assert.ok(train, 'the training split beside t10k is found');
    const ds = await openDataset(train.path, { ...tiny, split: train.split });
    assert.equal(ds.info.split, 'train');
    assert.deepEqual([...(await ds.labels())], [5, 9, 2, 6]);
    assert.deepEqual(ds.info.labelNames, names);
    const candidates = descriptorCandidates(train.path, false);
    assert.equal(candidates.at(-1), path.join(folder, 'dataset.json'), 'the folder\'s descriptor comes last');
    assert.ok(candidates.indexOf(path.join(folder, 'train.dataset.json')) < candidates.length - 1, 'the split\'s own descriptor comes before it');
  });

  it('a folder\'s "limit" and "split" shape the evaluation read only, not the training data found beside it', async () => {
    const sub = path.join(dir, 'folder-limit');
    await fs.cp(path.join(fixtures, 'folder'), sub, { recursive: true });
    await fs.writeFile(path.join(sub, 'dataset.json'), JSON.stringify({ labels: TEN, limit: 2, split: 'test' }));
    const evaluation = await openDataset(sub, tiny);
    assert.equal(evaluation.size, 2);
    assert.equal(evaluation.info.split, 'test');
    const train = await findTrainingSplit(sub);
    assert.ok(train);
    const ds = await openDataset(train.path, { ...tiny, split: train.split });
    assert.equal(ds.size, 4, 'all the training samples');
    assert.equal(ds.info.split, 'train');
    assert.deepEqual(ds.info.labelNames, TEN, 'the names still apply');
  });

  it('a list of the wrong length is left out with a note naming the file, not an error', async () => {
    const ds = await openDataset(idx('short'), tiny);
    assert.equal(ds.info.labelNames, undefined);
    assert.equal(ds.info.note, 'The class names in short.dataset.json were not used: it names 3 classes, the model has 10 outputs.');
    assert.equal(ds.size, 4, 'the data still opens');
  });

  it('refuses names given twice or not as a list of non-empty strings, naming the descriptor', async () => {
    const sub = path.join(dir, 'bad-names');
    await fs.mkdir(sub);
    for (const name of ['plain-images-idx3-ubyte.gz', 'plain-labels-idx1-ubyte.gz']) await fs.copyFile(path.join(fixtures, 'idx', name), path.join(sub, name));
    const file = path.join(sub, 'plain.dataset.json');
    const cases: [unknown, RegExp][] = [
      [{ labels: TEN, classNames: TEN }, /give the class names once, as "labels" or as "classNames"/],
      [{ classNames: 'zero one' }, /"classNames" must be a list of class names/],
      [{ labels: [...TEN.slice(0, 9), ''] }, /"labels" must be a list of class names \(non-empty strings/],
      [{ labels: [] }, /"labels" must be a list of class names/],
    ];
    for (const [content, message] of cases) {
      await fs.writeFile(file, JSON.stringify(content));
      await assert.rejects(openDataset(path.join(sub, 'plain-images-idx3-ubyte.gz'), tiny), (error: unknown) => {
        assert.ok(error instanceof EngineFailure);
        assert.equal(error.code, 'bad-data');
        assert.equal(error.file, file);
        assert.match(error.message, message);
        return true;
      });
    }
  });
});

describe('Teachable Machine metadata.json', () => {
  const upper = TEN.map((n) => n.toUpperCase());

  it('the model\'s own names reach report.model.classNames, and name the labels of data that has none', async () => {
    const loaded = await openModel(model('model'));
    try {
      assert.deepEqual(loaded.classNames, upper);
      assert.equal(loaded.classNamesFile, path.join(fixtures, 'model', 'metadata.json'));
      assert.ok(!loaded.files.some((f) => f.endsWith('metadata.json')), 'metadata.json is not part of the model\'s hash');
    } finally {
      loaded.model.dispose();
    }
    const inspected = await inspectJob({ model: model('model') }, quietContext());
    assert.deepEqual(inspected.model.classNames, upper);
    assert.ok(!inspected.notes.some((n) => /class names/.test(n)), inspected.notes.join(' | '));
    const evaluated = await evaluateJob({ model: model('model'), data: idx('plain') }, quietContext());
    assert.deepEqual(evaluated.model.classNames, upper);
    assert.deepEqual(evaluated.dataset.labelNames, upper, 'the model names the labels of an unnamed IDX pair');
  });

  it('the descriptor wins for the data, and the difference from the model\'s names is a note', async () => {
    const report = await evaluateJob({ model: model('model'), data: idx('named') }, quietContext());
    assert.deepEqual(report.model.classNames, upper);
    assert.deepEqual(report.dataset.labelNames, TEN);
    assert.ok(report.notes.some((n) => n.startsWith("The data's class names differ from the model's (ZERO, ONE")), report.notes.join(' | '));
  });

  it('a metadata.json naming the wrong number of classes is a note; the model opens and reports no names', async () => {
    const report = await evaluateJob({ model: model('short'), data: idx('plain') }, quietContext());
    assert.equal(report.model.classNames, undefined);
    assert.equal(report.dataset.labelNames, undefined);
    const note = 'The class names in short.metadata.json were not used: it names 3 classes, the model has 10 outputs.';
    assert.equal(report.notes.filter((n) => n.includes(note)).length, 1, `said once: ${report.notes.join(' | ')}`);
    // Jobs that read data carry it in the data's note too (the prune, analyze and compare jobs report that).
    const data = await openDataset(idx('plain'), { ...tiny, classNames: ['A', 'B', 'C'], classNamesFile: path.join(fixtures, 'model', 'short.metadata.json') });
    assert.equal(data.info.note, note);
    assert.equal(data.info.labelNames, undefined);
    const inspected = await inspectJob({ model: model('short') }, quietContext());
    assert.ok(inspected.notes.some((n) => n.startsWith('The class names in short.metadata.json were not used')), inspected.notes.join(' | '));
  });

  it('a metadata.json that is not JSON is a note, not a failure to open the model', async () => {
    const report = await inspectJob({ model: model('broken') }, quietContext());
    assert.equal(report.model.classNames, undefined);
    assert.ok(report.notes.some((n) => /^broken\.metadata\.json beside the model is not valid JSON \(.+\); its class names were not read\.$/.test(n)), report.notes.join(' | '));
  });

  it('the model\'s notes reach the reports of the pipeline jobs too (prune), once', async () => {
    const report = await pruneJob({ model: model('broken'), data: idx('plain'), method: 'magnitude', sparsity: 0.5, dryRun: true, recalibrateBn: false }, quietContext());
    const said = report.notes.filter((n) => /^broken\.metadata\.json beside the model is not valid JSON/.test(n));
    assert.equal(said.length, 1, report.notes.join(' | '));
  });
});

describe('image folders', () => {
  it('keep their folder names when there are fewer classes than outputs, and say how labels are numbered', async () => {
    const root = path.join(dir, 'three-classes');
    for (const name of ['cat', 'dog', 'owl']) {
      await fs.mkdir(path.join(root, name), { recursive: true });
      await fs.writeFile(path.join(root, name, 'a.png'), pngBytes(8, 8, () => [90, 90, 90]));
    }
    const ds = await openDataset(root, tiny);
    assert.deepEqual(ds.info.labelNames, ['cat', 'dog', 'owl']);
    assert.equal(ds.info.note, 'The data has 3 class folders (label k is the k-th in sorted order); the model has 10 outputs.');
  });
});
