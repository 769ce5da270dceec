// End to end through the real CLI (dist/cli.js, `npm run build`): every zoo model and the example's
// model.json pruned — magnitude at 50%, and L1 kernel at 90% with --structured (channels really
// removed) — and written in every output format. Keras (tf.loadLayersModel for model.json) loads
// each output, predicts what Quench's reading of that same file predicts on 256 images, and sees
// the pruned kernels' zeros.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openModel } from '../../src/engine/formats/index';
import { KerasJudge, maxAbsDiff, predict, repoRoot, tfjsLoadPredict, type Judged } from './judge';
import { assertTakes, dataDir, exampleFile, FILE_KINDS, fashionImages, OUTPUT_FORMATS, outputPath, readManifest, rel, TOLERANCE, useWasm, zooFile } from './zoo';

const cli = path.join(repoRoot, 'dist/cli.js');
let judge: KerasJudge;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-keras-cli-'));
before(async () => {
  await useWasm();
  judge = new KerasJudge();
});
after(() => {
  judge?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const { manifest, problem } = readManifest();
if (problem) {
  test('zoo: the manifest lists the Keras-made models', () => {
    assert.fail(problem);
  });
}

interface Subject {
  name: string;
  /** The file pruned: the model's first file Quench opens (.keras, .h5, model.json). */
  source: () => Promise<string>;
  /** Why the model is left out (not a chain), or null. */
}

const memo = new Map<string, Promise<unknown>>();
function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as Promise<T>;
}

// Every zoo model: the engine prunes any graph the model registry accepts (residual, branching,
// depthwise, nested), not only chains.
const subjects: Subject[] = (manifest?.models ?? []).map((zoo) => {
  const files = FILE_KINDS.map((kind) => zooFile(zoo, kind)).filter((f): f is string => f !== null);
  return {
    name: zoo.name,
    source: () =>
      once(`source:${zoo.name}`, async () => {
        const errors: string[] = [];
        for (const file of files) {
          try {
            (await openModel(file)).model.dispose();
            return file;
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
        throw new Error(`Quench opens none of ${zoo.name}'s files:\n${errors.join('\n')}`);
      }),
  };
});
subjects.push({ name: 'examples/fashion-vgg', source: async () => exampleFile('tfjs') });

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, QUENCH_BACKEND: 'wasm', QUENCH_THREADS: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

for (const subject of subjects) {
  for (const format of OUTPUT_FORMATS) {
    for (const structured of [false, true]) {
      // Structured runs prune whole slices (L1 kernel at 90%), so channels really go.
      const method = structured ? ['--method', 'l1-kernel', '--sparsity', '0.9', '--structured'] : ['--method', 'magnitude', '--sparsity', '0.5'];
      const flags = `${method.join(' ')} --format ${format}`;
      test(`cli prune ${subject.name} ${flags}: ${format === 'tfjs-layers' ? 'tf.loadLayersModel' : 'Keras'} loads the output and predicts what Quench reads from it`, async () => {
        assert.ok(existsSync(cli), `${rel(cli)} is missing: run \`npm run build\` first`);
        const source = await subject.source();
        const out = outputPath(path.join(tmp, `${subject.name.replace(/\W+/g, '_')}-${format}${structured ? '-structured' : ''}`), format);
        const args = ['prune', source, '--data', dataDir, '--limit', '64', ...method, '--out', out, '--format', format];
        const run = await runCli(args);
        assert.equal(run.code, 0, `node dist/cli.js ${args.map((a) => (a.startsWith('/') ? path.relative(repoRoot, a) || '.' : a)).join(' ')} exited ${run.code}:\n${run.output.slice(-3000)}`);
        assert.ok(existsSync(out), `the CLI wrote no ${out}:\n${run.output.slice(-2000)}`);

        const batch = await fashionImages();
        const judged: Judged = format === 'tfjs-layers' ? await tfjsLoadPredict(out, batch) : await judge.loadPredict(out, batch);
        const loaded = await openModel(out);
        let mine;
        try {
          assertTakes(loaded.model, batch, out);
          mine = predict(loaded.model, batch);
        } finally {
          loaded.model.dispose();
        }
        assert.deepEqual(judged.outputShape, mine.outputShape, 'output shape');
        const { max, at } = maxAbsDiff(judged.outputs, mine.outputs);
        assert.ok(max <= TOLERANCE, `${subject.name} pruned to ${format}: the reader of record predicts up to ${max} away from Quench's reading of the same file (output ${at}: ${judged.outputs[at]} vs ${mine.outputs[at]})`);
        // Masked zeros stay zeros (structured outputs keep the zeros of the channels that stay).
        const share = structured ? 0.05 : 0.45;
        const halfZero = judged.weights.filter((w) => w.name.endsWith('kernel') && w.zeros >= share * w.shape.reduce((a, b) => a * b, 1));
        assert.ok(halfZero.length > 0, `${subject.name} pruned to ${format}: no kernel is half zeros in the written file (${judged.weights.map((w) => `${w.path} ${w.zeros}`).join(', ')})`);
      });
    }
  }
}
