// The sensitivity cache: its key changes with everything a scan reads (model, data, split,
// method, ladder, layers, BatchNorm source) and with nothing else; files round-trip and a bad
// or unwritable cache is a miss, never a failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PruneParams } from '../../../src/protocol/engine';
import { scanKey, type ScanFacts } from '../../../src/engine/budget';
import { cacheFolder, readCache, writeCache } from '../../../src/engine/budget/cache';
import { tempFolder } from '../jobs/helpers';

let dir: string;
before(async () => {
  dir = await tempFolder('budget-cache');
});
after(() => fs.rm(dir, { recursive: true, force: true }));

const params: PruneParams = { model: 'm.json', data: 'd', method: 'magnitude', maxDrop: 0.5, seed: 1, heldOut: 0.5, ladder: [0.5, 0.9] };
const facts: ScanFacts = {
  modelSha256: 'a'.repeat(64),
  data: { sha256: 'b'.repeat(64), size: 2000 },
  calibration: 1000,
  batchNorm: 'c:10000',
  method: 'magnitude',
  layers: ['conv1', 'conv2'],
  readout: { epochs: 3, seed: 0 },
};
const key = scanKey(params, facts);

test('the key changes with the model, the data, the split, the method, the ladder, the layers and the BatchNorm source', () => {
  const changed: [string, string][] = [
    ['model', scanKey(params, { ...facts, modelSha256: 'd'.repeat(64) })],
    ['data bytes', scanKey(params, { ...facts, data: { ...facts.data, sha256: 'e'.repeat(64) } })],
    ['data size (--limit)', scanKey(params, { ...facts, data: { ...facts.data, size: 1000 } })],
    ['held-out share', scanKey({ ...params, heldOut: 0.3 }, facts)],
    ['split seed', scanKey({ ...params, seed: 2 }, facts)],
    ['method', scanKey(params, { ...facts, method: 'l1-kernel' })],
    ['ladder', scanKey({ ...params, ladder: [0.5, 0.8] }, facts)],
    ['layers', scanKey(params, { ...facts, layers: ['conv2'] })],
    ['BatchNorm source', scanKey(params, { ...facts, batchNorm: 'calibration' })],
  ];
  for (const [what, other] of changed) assert.notEqual(other, key, what);
  assert.equal(new Set(changed.map(([, k]) => k)).size, changed.length);
  // AFCC's masks depend on the readouts: their epochs change an AFCC key, not a magnitude one.
  const afcc = { ...facts, method: 'afcc' as const };
  assert.notEqual(scanKey(params, { ...afcc, readout: { epochs: 5, seed: 0 } }), scanKey(params, afcc));
  assert.equal(scanKey(params, { ...facts, readout: { epochs: 5, seed: 0 } }), key);
});

test('the key does not change with what the scan does not read', () => {
  const same: PruneParams[] = [
    { ...params, maxDrop: 2 },
    { ...params, objective: 'macs' },
    { ...params, finetune: { epochs: 3, trainLimit: 100 } },
    { ...params, out: '/elsewhere/x.h5', structured: true, format: 'keras-h5' },
    { ...params, method: 'auto', cache: true },
    { ...params, ladder: [0.9, 0.5, 0.9] },
    { ...params, seed: undefined },
  ];
  for (const p of same) assert.equal(scanKey(p, facts), key, JSON.stringify(p));
});

test('a scan round-trips through its file beside the model; a damaged file or an unwritable folder is a miss', async () => {
  const folder = cacheFolder(path.join(dir, 'model.json'));
  assert.equal(folder, path.join(dir, '.quench', 'cache', 'sensitivity'));
  assert.equal(await readCache(folder, key), null);
  const scan = { key, baseline: 0.9, curves: [{ layer: 'conv1', points: [{ sparsity: 0.5, top1: 0.89 }] }] };
  const file = await writeCache(folder, scan, [path.join(dir, 'model.json')]);
  assert.equal(file, path.join(folder, `${key}.json`));
  assert.deepEqual(await readCache(folder, key), scan);
  await fs.writeFile(file!, '{"key": "');
  assert.equal(await readCache(folder, key), null);
  const blocked = path.join(dir, 'blocked');
  await fs.writeFile(blocked, 'a file where the folder would go');
  assert.equal(await writeCache(path.join(blocked, 'cache'), scan, []), null);
});
