// Bad inputs and an export fault through the bundled `quench` command: each must exit 1 with one
// line on stderr, "quench: <file>: <problem>", print nothing on stdout and write nothing. The CLI
// is bundled here from the current sources with the same settings as dist/cli.js (scripts/
// esbuild.mjs), into dist/test/, so a stale dist/ from an earlier build cannot hide a regression.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { caseFolder, goodData, listing, loadCases, repoRoot, resolveCase, type BadCase } from './corpus';
import { copyTinyModel, tempFolder } from './workspace';

const cli = path.join(repoRoot, 'dist/test/reliability-quench-cli.js');
const CASES = [
  'tfjs-functional-cycle',
  'tfjs-functional-unnamed-layer',
  'tfjs-absurd-size',
  'tfjs-lambda-layer',
  'keras-truncated.h5',
  'keras-zip-bomb.keras',
  'idx-count-mismatch',
  'npz-object-array.npz',
];

function quench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, QUENCH_BACKEND: 'cpu' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function oneLineFailure(run: { code: number | null; stdout: string; stderr: string }, file: string, pattern: RegExp): void {
  assert.equal(run.code, 1, `exit code 1; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line: ${run.stderr}`);
  assert.ok(lines[0]!.startsWith(`quench: ${file}`), `names the file first: ${lines[0]}`);
  assert.match(lines[0]!, pattern);
}

let root: string;
before(async () => {
  root = await tempFolder('quench-cli-faults-');
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'src/cli/main.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@tensorflow/*'],
    define: { 'import.meta.url': '__quenchImportMetaUrl' },
    banner: { js: "const __quenchImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
    logLevel: 'silent',
  });
});
after(() => fsp.rm(root, { recursive: true, force: true }));

describe('quench CLI on bad inputs and faults', { timeout: 180_000 }, () => {
  const cases = new Map(loadCases().map((c) => [c.file, c]));
  for (const name of CASES) {
    const c: BadCase | undefined = cases.get(name);
    it(`${name} → exit 1, one line naming the file`, async () => {
      assert.ok(c, `${name} is in cases.json`);
      const { model, data } = resolveCase(c);
      const folder = caseFolder(c);
      const filesBefore = await listing(folder);
      const run = await quench(c.job === 'inspect' ? ['inspect', model] : ['eval', model, '--data', data!]);
      const file = c.job === 'inspect' ? model : data!;
      // The message names the file, or for a folder (TF.js model, IDX pair) a file inside it.
      oneLineFailure(run, file, new RegExp(c.message));
      assert.deepEqual(await listing(folder), filesBefore, 'nothing written');
    });
  }

  it('prune with an output under a regular file → exit 1, the reason, the input untouched, no output', async () => {
    const dir = path.join(root, 'prune-blocked');
    const model = await copyTinyModel(dir);
    writeFileSync(path.join(dir, 'blocker'), 'a file, not a folder');
    const filesBefore = await listing(dir);
    const out = path.join(dir, 'blocker', 'out', 'model.json');
    const run = await quench(['prune', model, '--data', goodData, '--method', 'magnitude', '--sparsity', '0.5', '--out', out]);
    // Named by the first output file that could not be written: a shard in the output's folder.
    oneLineFailure(run, path.dirname(out), /could not write the model: (ENOTDIR|EEXIST)/);
    assert.deepEqual(await listing(dir), filesBefore);
  });

  it('a valid prune through the same binary succeeds (the failures above are not the build)', async () => {
    const dir = path.join(root, 'prune-ok');
    const model = await copyTinyModel(dir);
    const run = await quench(['prune', model, '--data', goodData, '--method', 'magnitude', '--sparsity', '0.5', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok((JSON.parse(run.stdout) as { output: { verified: boolean } }).output.verified);
  });
});
