// AFCC (target sparsity 50%) and magnitude pruning (50%) of the PyTorch ResNet trained on
// Fashion-MNIST, through the real CLI: the accuracies the report states are the ones onnxruntime
// measures — before, on the source .onnx, and after, on the .onnx Quench wrote — on the same 500
// images of examples/data.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PruneReport } from '../../src/protocol/report';
import { dataDir } from '../keras/zoo';
import { fixturePath, OnnxJudge, readFixtures, rel, runCli } from './judge';

const LIMIT = 500;
const images = path.join(dataDir, 't10k-images-idx3-ubyte.gz');
const labels = path.join(dataDir, 't10k-labels-idx1-ubyte.gz');
let judge: OnnxJudge;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-onnx-accuracy-'));
before(() => {
  judge = new OnnxJudge();
});
after(() => {
  judge?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const resnet = readFixtures().find((f) => f.architecture === 'fashion-resnet' && f.exporter === 'torchscript');

const METHODS: [string, string[]][] = [
  ['afcc', ['--method', 'afcc', '--target-sparsity', '0.5']],
  ['magnitude', ['--method', 'magnitude', '--sparsity', '0.5']],
];

for (const [name, flags] of METHODS) {
  test(`prune the trained PyTorch ResNet ${flags.join(' ')}: the report's top-1 before and after equal onnxruntime's on the source and the written .onnx`, async () => {
    assert.ok(resnet, 'test/fixtures/onnx/manifest.json lists no fashion-resnet TorchScript export');
    const source = fixturePath(resnet);
    const out = path.join(tmp, `resnet-${name}.onnx`);
    const run = await runCli(['prune', source, '--data', dataDir, '--limit', String(LIMIT), ...flags, '--seed', '1', '--out', out, '--json']);
    assert.equal(run.code, 0, `${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`);
    assert.ok(existsSync(out), `${run.command} wrote no ${rel(out)}`);
    const report = JSON.parse(run.output.slice(run.output.indexOf('{'))) as PruneReport;
    assert.equal(report.accuracy.after.samples, LIMIT);
    assert.ok(report.targetedSparsity >= 0.45 && report.targetedSparsity <= 0.55, `${run.command}: targeted sparsity ${report.targetedSparsity}, asked 0.5`);
    const [before, afterPrune] = await Promise.all([judge.accuracy(source, images, labels, LIMIT), judge.accuracy(out, images, labels, LIMIT)]);
    const right = (top1: number) => Math.round(top1 * LIMIT);
    assert.equal(right(report.accuracy.before.top1), right(before.top1 / 100), `before: the report says ${report.accuracy.before.top1 * 100}%, onnxruntime ${before.top1}% on ${rel(source)}`);
    assert.equal(right(report.accuracy.after.top1), right(afterPrune.top1 / 100), `after: the report says ${report.accuracy.after.top1 * 100}%, onnxruntime ${afterPrune.top1}% on ${rel(out)}`);
    assert.ok(afterPrune.top1 > 30, `${name} at 50% left ${afterPrune.top1}% top-1: the pruned file is not a working classifier`);
  });
}
