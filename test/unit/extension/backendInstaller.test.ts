// The native-backend installer: into a temporary folder, checked in a child node, moved into
// place; nothing left behind on any failure or cancel. A fake npm (fixtures/fake-npm.mjs) covers
// each path, and the real npm shows the failure of this machine's kind: the registry reachable,
// libtensorflow's host not (or, on a machine with internet, a real installation).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineConnection } from '../../../src/extension/client/connection';
import { engineProcessStarter } from '../../../src/extension/client/process';
import { backendModulesFolder, installNativeBackend, type InstallOptions } from '../../../src/extension/commands/backendInstaller';
import { failureMessage } from '../../../src/extension/commands/npmFailure';
import { findNpm, type NpmCommand } from '../../../src/extension/commands/npmLocate';
import { writeFakeTfjsNode, type FakeKind } from './fakeTfjsNode';

const repoRoot = path.resolve(__dirname, '../../..');
const fakeNpmScript = path.join(__dirname, 'fixtures', 'fake-npm.mjs');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-installer-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

const node = { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
const fakeNpm = (...args: string[]): NpmCommand => ({ command: process.execPath, args: [fakeNpmScript, ...args], shell: false, description: 'fake npm' });
const storage = (): string => fs.mkdtempSync(path.join(temp, 'storage-'));

function template(kind: FakeKind): string {
  const folder = fs.mkdtempSync(path.join(temp, `template-${kind}-`));
  writeFakeTfjsNode(folder, kind);
  return folder;
}

function install(storageDir: string, npm: NpmCommand | undefined, extra: Partial<InstallOptions> = {}) {
  return installNativeBackend({ storageDir, version: '4.22.0', npm, node, timeoutMs: 60_000, ...extra });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('success: installed into a temporary folder, checked, moved to <storage>/backend; the engine then runs on it', { timeout: 60_000 }, async () => {
  const dir = storage();
  const stages: string[] = [];
  const { result } = await install(dir, fakeNpm('copy', template('working')), { onStage: (s) => stages.push(s) });
  assert.equal(result.outcome, 'done', JSON.stringify(result));
  assert.equal(result.outcome === 'done' && result.folder, path.join(dir, 'backend'));
  assert.equal(result.outcome === 'done' && result.backend, 'tensorflow');
  assert.deepEqual(stages, ['npm', 'smoke', 'move']);
  assert.deepEqual(fs.readdirSync(dir), ['backend']);
  assert.ok(fs.existsSync(path.join(backendModulesFolder(dir), '@tensorflow', 'tfjs-node', 'package.json')));

  const connection = new EngineConnection(
    engineProcessStarter({ enginePath: path.join(repoRoot, 'src/engine/main.ts'), execArgv: ['--import', 'tsx'], env: { QUENCH_EXTRA_MODULES: backendModulesFolder(dir) } }),
  );
  try {
    assert.equal((await connection.request('info', {})).backend, 'tensorflow');
  } finally {
    connection.dispose();
  }

  // Installing again replaces it, and leaves no copy of the old one.
  const again = await install(dir, fakeNpm('copy', template('working')));
  assert.equal(again.result.outcome, 'done');
  assert.deepEqual(fs.readdirSync(dir), ['backend']);
});

test('a package that does not load is not kept, and an earlier installation stays as it was', { timeout: 60_000 }, async () => {
  const dir = storage();
  const fresh = await install(dir, fakeNpm('copy', template('throws')));
  assert.equal(fresh.result.outcome, 'failed');
  assert.deepEqual(fresh.result.outcome === 'failed' && fresh.result.failure, { reason: 'load-failed', detail: 'libtensorflow.so.2: cannot open shared object file: No such file or directory' });
  assert.deepEqual(fs.readdirSync(dir), []);

  assert.equal((await install(dir, fakeNpm('copy', template('working')))).result.outcome, 'done');
  const kept = fs.readFileSync(path.join(backendModulesFolder(dir), '@tensorflow', 'tfjs-node', 'index.js'), 'utf8');
  const broken = await install(dir, fakeNpm('copy', template('no-backend')));
  assert.equal(broken.result.outcome === 'failed' && broken.result.failure.reason, 'load-failed');
  assert.deepEqual(fs.readdirSync(dir), ['backend']);
  assert.equal(fs.readFileSync(path.join(backendModulesFolder(dir), '@tensorflow', 'tfjs-node', 'index.js'), 'utf8'), kept);
});

test('npm failing in the install script: no-binary, its half-written folder removed, its output returned', { timeout: 60_000 }, async () => {
  const dir = storage();
  const { result, output } = await install(dir, fakeNpm('fail', path.join(__dirname, 'fixtures', 'npm', 'no-binary-linux.txt')));
  assert.equal(result.outcome === 'failed' && result.failure.reason, 'no-binary');
  assert.ok(output.includes('npm error command failed'));
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('cancel kills npm and the script it started, and removes the temporary folder', { timeout: 60_000 }, async () => {
  const dir = storage();
  const pids = path.join(temp, 'cancel-pids.json');
  const abort = new AbortController();
  const { result } = await install(dir, fakeNpm('hang', pids), {
    signal: abort.signal,
    onStage: (stage) => stage === 'script' && setTimeout(() => abort.abort(), 200),
  });
  assert.equal(result.outcome, 'cancelled');
  const { npm, script } = JSON.parse(fs.readFileSync(pids, 'utf8')) as { npm: number; script: number };
  await waitFor(() => !isAlive(npm) && !isAlive(script));
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('time running out during the download is no-binary; no npm at all is no-npm; both leave nothing', { timeout: 60_000 }, async () => {
  const dir = storage();
  const { result } = await install(dir, fakeNpm('hang', path.join(temp, 'timeout-pids.json')), { timeoutMs: 1500 });
  assert.deepEqual(result.outcome === 'failed' && result.failure, { reason: 'no-binary', detail: 'the download from storage.googleapis.com did not finish in time' });
  assert.deepEqual(fs.readdirSync(dir), []);
  const none = await install(dir, undefined);
  assert.equal(none.result.outcome === 'failed' && none.result.failure.reason, 'no-npm');
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('leftovers of an install whose process is gone are removed at the next install', { timeout: 60_000 }, async () => {
  const dir = storage();
  for (const name of ['backend-install-999999999-abc', `backend-old-${process.pid}-x`]) fs.mkdirSync(path.join(dir, name, 'node_modules'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'unrelated'));
  await install(dir, undefined);
  assert.deepEqual(fs.readdirSync(dir), ['unrelated']);
});

test('findNpm: npm-cli.js beside the quench.nodePath node, else npm on the PATH, else nothing', () => {
  const root = fs.mkdtempSync(path.join(temp, 'node-'));
  const nodeExe = path.join(root, 'bin', 'node');
  const cli = path.join(root, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  for (const file of [nodeExe, cli]) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
  }
  assert.deepEqual(findNpm({ nodePath: nodeExe, env: { PATH: '' }, platform: 'linux' }), { command: nodeExe, args: [cli], shell: false, description: `${nodeExe} ${cli}` });

  const bin = path.join(root, 'path-bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'npm'), '#!/bin/sh\n', { mode: 0o755 });
  const onPath = findNpm({ nodePath: path.join(root, 'nowhere', 'node'), env: { PATH: `${path.join(root, 'empty')}:${bin}` }, platform: 'linux' });
  assert.equal(onPath?.command, path.join(bin, 'npm'));
  assert.equal(findNpm({ env: { PATH: path.join(root, 'empty') }, platform: 'linux' }), undefined);
});

test('the real npm on this machine: either a working installation or one classified failure, and nothing left behind', { timeout: 300_000 }, async (t) => {
  const npm = findNpm({});
  if (!npm) return t.skip('no npm on the PATH');
  const dir = storage();
  const { result, output } = await install(dir, npm, { timeoutMs: 240_000 });
  if (result.outcome === 'done') {
    t.diagnostic(`installed and loaded: ${result.backend}`);
    assert.deepEqual(fs.readdirSync(dir), ['backend']);
    return;
  }
  assert.equal(result.outcome, 'failed');
  if (result.outcome !== 'failed') return;
  const message = failureMessage(result.failure, { version: '4.22.0', platform: `${process.platform}-${process.arch}`, fallback: 'WebAssembly' });
  t.diagnostic(message);
  // CI reaches the registry but not libtensorflow's host (TESTING.md); a laptop may be offline.
  const expected = process.env['CI'] ? ['no-binary'] : ['no-binary', 'offline'];
  assert.ok(expected.includes(result.failure.reason), `${result.failure.reason}: ${result.failure.detail}\n${output.slice(-20).join('\n')}`);
  assert.deepEqual(fs.readdirSync(dir), []);
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
