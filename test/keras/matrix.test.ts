// The job matrix (test/fixtures/zoo/matrix.json): every Keras-made zoo model through every engine
// job (and the public TF.js models other people converted, from ../shared/fixtures/public, on
// MNIST; skipped with a line where that folder is absent) — inspect, evaluate, SFP analysis, AFCC at --target-sparsity 0.5 with BatchNorm
// re-estimation, one fine-tuning epoch, --structured and export in the input's format, AFCC at
// 0.8, and every baseline at AFCC's per-layer sparsity — each giving its result or exactly the
// refusal the matrix names. Exports are judged by real Keras (tf.loadLayersModel for TF.js): they
// load and predict what Quench reads from them. Small data keeps it quick: 300 evaluation and
// 256 training images of examples/data, one readout epoch.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompareReport, PruneReport } from '../../src/protocol/report';
import { quietContext } from '../../src/engine/core/context';
import { runJob } from '../../src/engine/jobs/index';
import { openModel } from '../../src/engine/formats/index';
import { KerasJudge, maxAbsDiff, predict, tfjsLoadPredict } from './judge';
import { dataDir, fashionImages, readManifest, TOLERANCE, useWasm, zooDir, zooFile } from './zoo';
import { repoRoot } from './judge';

const matrix = JSON.parse(readFileSync(path.join(zooDir, 'matrix.json'), 'utf8')) as { jobs: string[]; expect: Record<string, Record<string, string>> };
const publicDir = path.resolve(repoRoot, '../shared/fixtures/public');
const METHODS = ['afcc', 'magnitude', 'global-magnitude', 'l1-kernel', 'random', 'random-afcc'] as const;

let judge: KerasJudge;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-matrix-'));
before(async () => {
  await useWasm();
  judge = new KerasJudge();
});
after(() => {
  judge?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const { manifest, problem } = readManifest();
if (problem) test('zoo: the manifest lists the Keras-made models', () => assert.fail(problem));

interface Subject {
  name: string;
  source: string;
  /** Evaluation and training images (the same small set: this checks that jobs run, not accuracy). */
  dataDir: string;
  /** The same images named as training data (a folder would pick examples/data's training subset). */
  trainData: string;
  params: number | null;
}

const subjects: Subject[] = (manifest?.models ?? []).map((model) => ({
  name: model.name,
  source: zooFile(model, 'keras') ?? zooFile(model, 'tfjs')!,
  dataDir,
  trainData: path.join(dataDir, 't10k-images-idx3-ubyte.gz'),
  params: model.params ?? null,
}));
if (existsSync(publicDir)) {
  for (const name of ['mnist-tfjs-small', 'mnist-tfjs-keras-example']) {
    subjects.push({ name, source: path.join(publicDir, name, 'model.json'), dataDir: path.join(publicDir, 'mnist-test'), trainData: path.join(publicDir, 'mnist-test'), params: null });
  }
} else {
  test('public TF.js models in the matrix', { skip: `${publicDir} is absent (it ships beside the repository in CI)` }, () => undefined);
}

/** Runs one job and checks it against the matrix: the result when 'ok', else the named refusal. */
async function expectOutcome<T>(model: Subject, job: string, run: () => Promise<T>, check: (result: T) => Promise<void> | void): Promise<void> {
  const expected = matrix.expect[model.name]?.[job] ?? 'ok';
  let result: T;
  try {
    result = await run();
  } catch (error) {
    if (expected === 'ok') throw error;
    assert.match((error as Error).message, new RegExp(expected.replace(/^refused: /, '')), `${model.name} × ${job}`);
    return;
  }
  assert.equal(expected, 'ok', `${model.name} × ${job} was expected to be refused (${expected}) but ran`);
  await check(result);
}

for (const model of subjects) {
  const { source } = model;
  const data = { data: model.dataDir, limit: 300 };
  const common = { ...data, seed: 1, readoutEpochs: 1, trainData: model.trainData };
  const ctx = quietContext();

  test(`${model.name} × inspect, eval, analyze`, async () => {
    await expectOutcome(model, 'inspect', () => runJob('inspect', { model: source }, ctx), (report) => {
      assert.ok(report.totals.params > 0);
      if (model.params !== null) assert.equal(report.totals.params, model.params);
    });
    await expectOutcome(model, 'eval', () => runJob('evaluate', { model: source, ...data }, ctx), (report) => {
      assert.ok(report.accuracy.top1 > 0.6, `top-1 ${report.accuracy.top1}`);
    });
    await expectOutcome(model, 'analyze', () => runJob('analyze', { model: source, ...data, readoutEpochs: 1 }, ctx), (report) => {
      assert.ok(report.sfp.layers.length > 0 && report.sfp.layers.every((l) => l.filters.length > 0));
    });
  });

  test(`${model.name} × AFCC 0.5, BatchNorm re-estimated, 1 fine-tuning epoch, --structured, export judged by the real library`, async () => {
    const out = path.join(tmp, model.name, source.endsWith('.json') ? 'model.json' : path.basename(source));
    await expectOutcome(
      model,
      'afcc-0.5+bn+finetune+structured+export',
      () => runJob('prune', { model: source, ...common, method: 'afcc', targetSparsity: 0.5, finetune: { epochs: 1, trainLimit: 256 }, structured: true, out }, ctx) as Promise<PruneReport>,
      async (report) => {
        assert.ok(report.targetedSparsity >= 0.5, `targeted sparsity ${report.targetedSparsity}`);
        assert.ok(report.accuracy.after.top1 > 0.3, `top-1 after ${report.accuracy.after.top1}`);
        assert.ok(report.finetune, 'fine-tuned');
        const batch = await fashionImages();
        const written = await openModel(out);
        const quench = predict(written.model, batch).outputs;
        written.model.dispose();
        const library = out.endsWith('.json') ? await tfjsLoadPredict(out, batch) : await judge.loadPredict(out, batch);
        const diff = maxAbsDiff(library.outputs, quench);
        assert.ok(diff.max <= TOLERANCE, `the library predicts ${diff.max} away from Quench on ${out}`);
      },
    );
  });

  test(`${model.name} × AFCC 0.8 and every baseline at AFCC's per-layer sparsity`, async () => {
    await expectOutcome(
      model,
      'afcc-0.8',
      () => runJob('prune', { model: source, ...common, method: 'afcc', targetSparsity: 0.8, recalibrateBn: false, dryRun: true }, ctx) as Promise<PruneReport>,
      (report) => assert.ok(report.targetedSparsity >= 0.8, `targeted sparsity ${report.targetedSparsity}`),
    );
    await expectOutcome(
      model,
      'baselines-at-afcc-sparsity',
      () => runJob('compare', { model: source, ...common, methods: [...METHODS], targetSparsity: 0.5 }, ctx) as Promise<CompareReport>,
      (report) => {
        const afcc = report.rows.find((r) => r.method === 'afcc')!;
        for (const row of report.rows) {
          assert.ok(row.accuracy.top1 >= 0 && row.accuracy.top1 <= 1);
          if (row.method === 'global-magnitude') continue;
          for (const [layer, sparsity] of Object.entries(afcc.layerSparsity)) {
            assert.ok(Math.abs(row.layerSparsity[layer]! - sparsity) < 0.01, `${row.method} ${layer}: ${row.layerSparsity[layer]} vs AFCC ${sparsity}`);
          }
        }
        assert.deepEqual(report.rows.map((r) => r.method).sort(), [...METHODS].sort());
      },
    );
  });
}
