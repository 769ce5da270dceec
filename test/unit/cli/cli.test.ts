// The built `quench` command (dist/cli.js) end to end: inspect and eval --json on a real public
// model and the real Fashion-MNIST test set, checked against an independent computation here.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend';
import { openModel } from '../../../src/engine/formats';
import type { EvalReport, InspectReport } from '../../../src/protocol/report';
import { publicSkip } from '../formats/helpers';

const repoRoot = path.resolve(__dirname, '../../..');
const cli = path.join(repoRoot, 'dist/cli.js');
const small = path.resolve(repoRoot, '../shared/fixtures/public/mnist-tfjs-small/model.json');
const fashion = '/usr/share/datasets/fashion-mnist';

function quench(args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, QUENCH_BACKEND: 'wasm' } });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

before(() => {
  if (!existsSync(cli)) execFileSync(process.execPath, ['scripts/esbuild.mjs'], { cwd: repoRoot, stdio: 'ignore' });
});

describe('quench CLI', { skip: publicSkip }, () => {
  it('inspect --json reports the layers and the 24,155 parameters of mnist-tfjs-small', () => {
    const run = quench(['inspect', small, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as InspectReport;
    assert.equal(report.kind, 'inspect');
    assert.equal(report.backend, 'wasm');
    assert.equal(report.model.format, 'tfjs-layers');
    assert.equal(report.totals.params, 24_155);
    assert.deepEqual(report.layers.map((l) => l.className).filter((c) => c === 'Conv2D' || c === 'Dense'), ['Conv2D', 'Conv2D', 'Dense', 'Dense']);
    assert.match(report.model.sha256, /^[0-9a-f]{64}$/);
  });

  it('inspect prints a table without --json', () => {
    const run = quench(['inspect', small]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /conv2d_6\s+Conv2D\s+\[24, 24, 30\]\s+780/);
    assert.match(run.stdout, /Total: 24,155 params/);
  });

  it('eval --json on Fashion-MNIST matches argmax over model.predict computed here', { skip: !existsSync(fashion) && `${fashion} is absent (apt-get install dataset-fashion-mnist)` }, async () => {
    const limit = 2000;
    const run = quench(['eval', small, '--data', fashion, '--limit', String(limit), '--json']);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as EvalReport;
    assert.equal(report.dataset.kind, 'idx');
    assert.equal(report.dataset.samples, limit);
    assert.equal(report.accuracy.samples, limit);
    // Independent: raw IDX bytes, pixel/255, one predict call, argmax by hand.
    await initBackend('wasm');
    const images = gunzipSync(readFileSync(path.join(fashion, 't10k-images-idx3-ubyte.gz')));
    const labels = gunzipSync(readFileSync(path.join(fashion, 't10k-labels-idx1-ubyte.gz')));
    const x = Float32Array.from(images.subarray(16, 16 + limit * 784), (p) => p / 255);
    const loaded = await openModel(small);
    const scores = tf.tidy(() => (loaded.model.predict(tf.tensor4d(x, [limit, 28, 28, 1])) as tf.Tensor).dataSync());
    let correct = 0;
    for (let i = 0; i < limit; i++) {
      const row = Array.from(scores.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === labels[8 + i]) correct++;
    }
    loaded.model.dispose();
    assert.equal(report.accuracy.top1, correct / limit);
    assert.equal(report.confusion.reduce((a, row, k) => a + row[k]!, 0), correct);
  });

  it('fails with a one-line reason and a non-zero exit code', () => {
    const missing = quench(['eval', small, '--data', '/nonexistent/data']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /^quench: .*\/nonexistent\/data/);
    const usage = quench(['eval', small]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--data <path> is required/);
    const badModel = quench(['inspect', path.join(repoRoot, 'package.json')]);
    assert.equal(badModel.code, 1);
    assert.match(badModel.stderr, /package\.json.*modelTopology/);
  });

  it('prints per-command help', () => {
    const run = quench(['prune', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--target-sparsity <s>/);
    assert.match(run.stdout, /--\[no-\]recalibrate-bn/);
  });
});
