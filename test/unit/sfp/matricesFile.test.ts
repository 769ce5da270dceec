import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AnalyzeReport } from '../../../src/protocol/report';
import { SFP_MATRICES_MAGIC } from '../../../src/protocol/report';
import { encodeMatricesFile } from '../../../src/engine/sfp/matricesFile';
import { MatricesCache, readMatricesHeader } from '../../../src/extension/panel/matrices';
import { mulberry32 } from '../../../src/engine/core/random';

const classes = 7;
const random = mulberry32(5);
const layers = [
  { name: 'conv1', filters: 3, data: Float32Array.from({ length: 3 * classes * classes }, () => random() * 2 - 1) },
  { name: 'block2_conv_with_a_longer_name', filters: 5, data: Float32Array.from({ length: 5 * classes * classes }, () => random()) },
];

function reportWith(matricesPath: string): AnalyzeReport {
  return { kind: 'analyze', sfp: { threshold: 0.3, dataSplit: 'test', samples: 10, classes, layers: [], matricesPath } } as unknown as AnalyzeReport;
}

test('the binary matrices file round-trips every layer exactly and is float32-sized', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quench-matrices-'));
  try {
    const file = path.join(dir, 'm.sfpm');
    const bytes = encodeMatricesFile(classes, layers);
    writeFileSync(file, bytes);
    assert.equal(Buffer.from(bytes.subarray(0, 8)).toString('latin1'), SFP_MATRICES_MAGIC);
    const header = await readMatricesHeader(file);
    assert.deepEqual(header.layers.map((l) => [l.name, l.filters, l.length, l.offset % 4]), [['conv1', 3, 3 * 49, 0], ['block2_conv_with_a_longer_name', 5, 5 * 49, 0]]);
    // Raw floats plus a small header: no text encoding of numbers.
    assert.ok(bytes.length < (3 + 5) * 49 * 4 + 400, `${bytes.length} bytes`);
    const cache = new MatricesCache();
    for (const l of layers) {
      const got = await cache.layer(reportWith(file), l.name);
      assert.ok(got.ok, JSON.stringify(got));
      assert.equal(got.classes, classes);
      assert.equal(got.filters, l.filters);
      assert.deepEqual(Array.from(got.data), Array.from(l.data));
    }
    const missing = await cache.layer(reportWith(file), 'dense9');
    assert.ok(!missing.ok && missing.reason.includes('no matrices for layer dense9'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated, foreign or mismatched matrices file gives a reason naming the file', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quench-matrices-'));
  try {
    const file = path.join(dir, 'm.sfpm');
    const bytes = encodeMatricesFile(classes, layers);
    const cache = new MatricesCache();
    writeFileSync(file, bytes.subarray(0, bytes.length - 8));
    let got = await cache.layer(reportWith(file), 'block2_conv_with_a_longer_name');
    assert.ok(!got.ok && got.reason.includes(file) && got.reason.includes('truncated'), JSON.stringify(got));
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, classes, layers: [] }));
    got = await cache.layer(reportWith(file), 'conv1');
    assert.ok(!got.ok && got.reason.includes(file) && got.reason.includes(SFP_MATRICES_MAGIC), JSON.stringify(got));
    got = await cache.layer(reportWith(path.join(dir, 'absent.sfpm')), 'conv1');
    assert.ok(!got.ok && got.reason.includes('absent.sfpm'), JSON.stringify(got));
    // A rewritten file (new mtime and contents) is read again, not served from the cached header.
    writeFileSync(file, bytes);
    got = await cache.layer(reportWith(file), 'conv1');
    assert.ok(got.ok);
    assert.throws(() => encodeMatricesFile(classes, [{ name: 'x', filters: 2, data: new Float32Array(3) }]), /x: 3 values do not make 2 matrices/);
    assert.ok(readFileSync(file).length === bytes.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
