// After a cancelled or failed job the host removes what the job created, and only that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeNewOutputs, snapshotOutputs } from '../../../src/extension/jobs/outputs';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'quench-outputs-'));
}

test('a TF.js output folder the job created is removed with its shards', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'model.pruned', 'model.json');
  const snapshot = await snapshotOutputs([out]);
  fs.mkdirSync(path.dirname(out));
  fs.writeFileSync(path.join(path.dirname(out), 'group1-shard1of1.bin'), 'partial');
  assert.deepEqual(await removeNewOutputs(snapshot), [path.dirname(out)]);
  assert.equal(fs.existsSync(path.dirname(out)), false);
  assert.deepEqual(fs.readdirSync(dir), []);
  fs.rmSync(dir, { recursive: true });
});

test('files that existed before the job stay; new files and temporary siblings go', async () => {
  const dir = tempDir();
  const kept = path.join(dir, 'net.pruned.h5');
  fs.writeFileSync(kept, 'earlier run');
  const fresh = path.join(dir, 'net2.pruned.keras');
  const snapshot = await snapshotOutputs([kept, fresh]);
  fs.writeFileSync(fresh, 'half');
  fs.writeFileSync(path.join(dir, '.net.pruned.h5.123.abcd.tmp'), 'temp');
  fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'user file');
  const removed = await removeNewOutputs(snapshot);
  assert.deepEqual(removed.sort(), [fresh, path.join(dir, '.net.pruned.h5.123.abcd.tmp')].sort());
  assert.equal(fs.readFileSync(kept, 'utf8'), 'earlier run');
  assert.ok(fs.existsSync(path.join(dir, 'unrelated.txt')));
  fs.rmSync(dir, { recursive: true });
});

test('nothing to remove when the engine cleaned up itself', async () => {
  const dir = tempDir();
  const snapshot = await snapshotOutputs([path.join(dir, 'a.pruned.h5')]);
  assert.deepEqual(await removeNewOutputs(snapshot), []);
  fs.rmSync(dir, { recursive: true });
});
