// `quench dataset` (dist/cli.js): which dataset.json applies to a dataset, and --imagenet /
// --mean --std saving a normalisation there through the engine's datasetDescriptor request —
// merged into an existing descriptor with its other keys kept, refused with one line for a broken
// one or bad flags, and nothing written then.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

const repoRoot = path.resolve(__dirname, '../../..');
const cli = path.join(repoRoot, 'dist/cli.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-cli-dataset-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

before(() => {
  if (!existsSync(cli)) execFileSync(process.execPath, ['scripts/esbuild.mjs'], { cwd: repoRoot, stdio: 'ignore' });
});

function quench(args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [cli, 'dataset', ...args], { encoding: 'utf8' });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/** A folder with the example's test IDX pair, and an optional dataset.json. */
function dataFolder(name: string, descriptor?: string): string {
  const dir = path.join(tmp, name);
  execFileSync('mkdir', ['-p', dir]);
  for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) copyFileSync(path.join(repoRoot, 'examples/data', f), path.join(dir, f));
  if (descriptor !== undefined) writeFileSync(path.join(dir, 'dataset.json'), descriptor);
  return path.join(dir, 't10k-images-idx3-ubyte.gz');
}

test('no descriptor: says where a setting would go, and writes nothing', () => {
  const data = dataFolder('none');
  const run = quench([data]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `Descriptor: none (a setting would be saved in ${path.join(path.dirname(data), 'dataset.json')})\nNormalisation: no mean/std: pixels are only scaled\n`);
  assert.equal(existsSync(path.join(path.dirname(data), 'dataset.json')), false);
});

test('--imagenet merges ImageNet mean/std into the existing descriptor, keeping its keys in order', () => {
  const data = dataFolder('merge', JSON.stringify({ labels: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], scale: '0..1' }));
  const run = quench([data, '--imagenet', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const file = path.join(path.dirname(data), 'dataset.json');
  assert.deepEqual(JSON.parse(run.stdout), { descriptor: file, scale: '0..1', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], target: file });
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(saved), ['labels', 'scale', 'mean', 'std']);
  assert.equal((saved['labels'] as string[]).length, 10);
  const shown = quench([data]);
  assert.equal(shown.stdout, `Descriptor: ${file}\nNormalisation: mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225], scale 0..1\n`);
});

test('--mean/--std: one value for all channels is accepted and saved as given', () => {
  const data = dataFolder('single');
  const run = quench([data, '--mean', '0.5', '--std', '0.25', '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(readFileSync(path.join(path.dirname(data), 'dataset.json'), 'utf8')), { mean: [0.5], std: [0.25] });
});

test('bad flags are usage errors (exit 2) and write nothing', () => {
  const data = dataFolder('usage');
  for (const [args, message] of [
    [['--mean', '0.5'], '--mean needs --std too'],
    [['--std', '0.5'], '--std needs --mean too'],
    [['--imagenet', '--mean', '0.5', '--std', '1'], '--imagenet sets mean and std'],
    [['--mean', '0.5', '--std', '0'], '--std must not contain 0'],
    [['--mean', 'x', '--std', '1'], '--mean takes numbers'],
  ] as const) {
    const run = quench([data, ...args]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(run.stderr.includes(message), `${args.join(' ')}: ${run.stderr}`);
  }
  assert.equal(existsSync(path.join(path.dirname(data), 'dataset.json')), false);
});

test('a broken descriptor is refused in one line naming it, and left as it was', () => {
  const data = dataFolder('broken', '{"mean": [0.5], ');
  const file = path.join(path.dirname(data), 'dataset.json');
  const run = quench([data, '--imagenet']);
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.ok(run.stderr.includes(file) && /not valid JSON/.test(run.stderr), run.stderr);
  assert.equal(readFileSync(file, 'utf8'), '{"mean": [0.5], ');
});

test('a path that is no dataset is refused, and no descriptor is made beside it', () => {
  const file = path.join(tmp, 'notes.txt');
  writeFileSync(file, 'not a dataset');
  const run = quench([file, '--imagenet']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /unrecognised dataset/);
  assert.equal(existsSync(path.join(tmp, 'dataset.json')), false);
});
