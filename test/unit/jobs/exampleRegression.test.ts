// A chain gives exactly what it gave before the engine moved onto the model graph: AFCC on the
// example VGG writes the same kernels (sha256) at the same sparsity and accuracies as the
// chain-only engine did (test/fixtures/regression/example-afcc.json says how they were recorded).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { quietContext } from '../../../src/engine/core/context';
import { openModel } from '../../../src/engine/formats/index';
import { pruneJob } from '../../../src/engine/jobs/prune';
import { repoRoot, tempFolder, useWasm } from './helpers';

const expected = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/regression/example-afcc.json'), 'utf8')) as {
  targetedSparsity: number;
  accuracy: { before: number; afterMask: number };
  kernels: Record<string, string>;
};

let dir: string;
let data: string;
before(async () => {
  await useWasm();
  dir = await tempFolder('example-regression');
  // The run was recorded without training data: readouts on a split of the evaluation data and no
  // BatchNorm re-estimation. examples/data now holds a training subset the jobs would find beside
  // the test files, so the test files alone are copied into a folder of their own.
  data = path.join(dir, 'data');
  await fs.mkdir(data);
  for (const name of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) await fs.copyFile(path.join(repoRoot, 'examples/data', name), path.join(data, name));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

test('AFCC on the example chain: the same masks, sparsity and accuracies as the chain-only engine', async () => {
  const out = path.join(dir, 'model.json');
  const report = await pruneJob(
    { model: path.join(repoRoot, 'examples/fashion-vgg/model.json'), data, limit: 500, method: 'afcc', readoutEpochs: 1, seed: 1, out },
    quietContext(),
  );
  assert.ok(!report.notes.some((n) => /^Training data found/.test(n)), 'the run finds no training data, as when it was recorded');
  assert.deepEqual(report.layers.filter((l) => l.targeted).map((l) => l.name), Object.keys(expected.kernels));
  assert.equal(report.targetedSparsity, expected.targetedSparsity);
  assert.equal(report.accuracy.before.top1, expected.accuracy.before);
  assert.equal(report.accuracy.afterMask?.top1, expected.accuracy.afterMask);
  const { model } = await openModel(out);
  try {
    for (const [layer, sha] of Object.entries(expected.kernels)) {
      const kernel = model.getLayer(layer).getWeights()[0]!.dataSync() as Float32Array;
      assert.equal(createHash('sha256').update(Buffer.from(kernel.buffer, kernel.byteOffset, kernel.byteLength)).digest('hex'), sha, `${layer}'s written kernel`);
    }
  } finally {
    model.dispose();
  }
});
