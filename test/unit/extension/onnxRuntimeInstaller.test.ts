// The installer with the onnxruntime-node spec: the same temporary folder, child-node check and
// move as tfjs-node's, into <storage>/onnxruntime, with ONNXRUNTIME_NODE_INSTALL=skip reaching npm
// and ONNX Runtime's own smoke test (a one-node model run once). The fake npm's "onnxruntime" mode
// replays the real failure of its CUDA download unless the variable arrives; the fake package runs
// only a well-formed smoke model.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineConnection } from '../../../src/extension/client/connection';
import { engineProcessStarter } from '../../../src/extension/client/process';
import { backendModulesFolder, installNativeBackend, modulesFolder, ONNX_RUNTIME_NODE, type InstallOptions } from '../../../src/extension/commands/backendInstaller';
import { classifyNpmFailure, failureMessage } from '../../../src/extension/commands/npmFailure';
import type { NpmCommand } from '../../../src/extension/commands/npmLocate';
import { writeFakeOnnxRuntimeNode, type FakeOrtKind } from './fakeOnnxRuntimeNode';
import { loadedBy, writeFakeTfjsNode } from './fakeTfjsNode';

const repoRoot = path.resolve(__dirname, '../../..');
const fakeNpmScript = path.join(__dirname, 'fixtures', 'fake-npm.mjs');
const cudaDownload = path.join(__dirname, 'fixtures', 'npm', 'onnxruntime-cuda-download.txt');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-ort-installer-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

const node = { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
const fakeNpm = (...args: string[]): NpmCommand => ({ command: process.execPath, args: [fakeNpmScript, ...args], shell: false, description: 'fake npm' });
const storage = (): string => fs.mkdtempSync(path.join(temp, 'storage-'));
const ortNpm = (kind: FakeOrtKind): NpmCommand => fakeNpm('onnxruntime', template(kind), cudaDownload);

function template(kind: FakeOrtKind): string {
  const folder = fs.mkdtempSync(path.join(temp, `template-${kind}-`));
  writeFakeOnnxRuntimeNode(folder, kind);
  return folder;
}

function install(storageDir: string, npm: NpmCommand | undefined, extra: Partial<InstallOptions> = {}) {
  return installNativeBackend({ storageDir, spec: ONNX_RUNTIME_NODE, version: '1.31.1', npm, node, timeoutMs: 60_000, ...extra });
}

test('success: ONNXRUNTIME_NODE_INSTALL=skip reaches npm (over the user’s own value), the model runs in a child node, <storage>/onnxruntime; the engine then loads it', { timeout: 60_000 }, async () => {
  const dir = storage();
  const stages: string[] = [];
  const users = process.env['ONNXRUNTIME_NODE_INSTALL'];
  process.env['ONNXRUNTIME_NODE_INSTALL'] = 'cuda12';
  let run: Awaited<ReturnType<typeof install>>;
  try {
    run = await install(dir, ortNpm('working'), { onStage: (s) => stages.push(s) });
  } finally {
    if (users === undefined) delete process.env['ONNXRUNTIME_NODE_INSTALL'];
    else process.env['ONNXRUNTIME_NODE_INSTALL'] = users;
  }
  const { result, output } = run;
  assert.equal(result.outcome, 'done', `${JSON.stringify(result)}\n${output.join('\n')}`);
  assert.equal(result.outcome === 'done' && result.folder, path.join(dir, 'onnxruntime'));
  assert.equal(result.outcome === 'done' && result.backend, 'cpu');
  assert.deepEqual(stages, ['npm', 'script', 'smoke', 'move']);
  assert.deepEqual(fs.readdirSync(dir), ['onnxruntime']);
  const installed = path.join(modulesFolder(dir, ONNX_RUNTIME_NODE), 'onnxruntime-node');
  assert.equal(installed, path.join(dir, 'onnxruntime', 'node_modules', 'onnxruntime-node'));
  const checkedBy = loadedBy(installed);
  assert.equal(checkedBy.length, 1, 'one child node loaded it');
  assert.notEqual(checkedBy[0], process.pid);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'onnxruntime', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.deepEqual(manifest.dependencies, { 'onnxruntime-node': '1.31.1' });

  // The engine, given both folders as the extension passes them, finds it in the second.
  const connection = new EngineConnection(
    engineProcessStarter({
      enginePath: path.join(repoRoot, 'src/engine/main.ts'),
      execArgv: ['--import', 'tsx'],
      env: { QUENCH_EXTRA_MODULES: [backendModulesFolder(dir), modulesFolder(dir, ONNX_RUNTIME_NODE)].join(path.delimiter) },
    }),
  );
  try {
    assert.deepEqual((await connection.request('info', {})).onnxRuntime, { available: true, version: '1.31.1', from: installed });
  } finally {
    connection.dispose();
  }
});

test('without ONNXRUNTIME_NODE_INSTALL=skip the postinstall fails on api.nuget.org: no-binary, and nothing is left', { timeout: 60_000 }, async () => {
  const dir = storage();
  const { result, output } = await install(dir, ortNpm('working'), { spec: { ...ONNX_RUNTIME_NODE, env: {} } });
  assert.deepEqual(result.outcome === 'failed' && result.failure, { reason: 'no-binary', detail: 'api.nuget.org could not be reached (ENOTFOUND)' });
  assert.ok(output.includes('npm error command sh -c node ./script/install'));
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.equal(
    failureMessage(result.outcome === 'failed' ? result.failure : { reason: 'failed', detail: '' }, {
      subject: 'ONNX Runtime',
      packageName: 'onnxruntime-node',
      library: 'native libraries',
      version: '1.31.1',
      platform: 'linux-x64',
      fallback: 'TensorFlow.js for ONNX models',
    }),
    'Could not install ONNX Runtime: onnxruntime-node 1.31.1 downloaded, but its native libraries for linux-x64 could not be installed: ' +
      'api.nuget.org could not be reached (ENOTFOUND). Quench keeps using TensorFlow.js for ONNX models. npm’s last lines are in the Quench output.',
  );
  // The same output read as tfjs-node's install is not its script failing.
  assert.equal(classifyNpmFailure({ output: fs.readFileSync(cudaDownload, 'utf8'), exitCode: 1 })?.reason, 'failed');
});

test('the smoke test is ONNX Runtime’s: a wrong sum or a library that does not load is not kept, and an earlier installation stays', { timeout: 60_000 }, async () => {
  const dir = storage();
  const throws = await install(dir, ortNpm('throws'));
  assert.deepEqual(throws.result.outcome === 'failed' && throws.result.failure, {
    reason: 'load-failed',
    detail: 'libonnxruntime.so.1: cannot open shared object file: No such file or directory',
  });
  assert.deepEqual(fs.readdirSync(dir), []);

  assert.equal((await install(dir, ortNpm('working'))).result.outcome, 'done');
  const kept = fs.readFileSync(path.join(modulesFolder(dir, ONNX_RUNTIME_NODE), 'onnxruntime-node', 'index.js'), 'utf8');
  const wrong = await install(dir, ortNpm('wrong-sum'));
  assert.deepEqual(wrong.result.outcome === 'failed' && wrong.result.failure, { reason: 'load-failed', detail: '[1, 2, 3] + [10, 20, 30] gave 12,23,34' });
  assert.deepEqual(fs.readdirSync(dir), ['onnxruntime']);
  assert.equal(fs.readFileSync(path.join(modulesFolder(dir, ONNX_RUNTIME_NODE), 'onnxruntime-node', 'index.js'), 'utf8'), kept);

  // tfjs-node's package in the ONNX Runtime folder fails the check: it has no InferenceSession.
  const tfjs = fs.mkdtempSync(path.join(temp, 'tfjs-as-ort-'));
  fs.renameSync(writeFakeTfjsNode(tfjs, 'working'), path.join(tfjs, 'onnxruntime-node'));
  const mismatched = await install(dir, fakeNpm('onnxruntime', tfjs, cudaDownload));
  assert.equal(mismatched.result.outcome === 'failed' && mismatched.result.failure.reason, 'load-failed');
  assert.deepEqual(fs.readdirSync(dir), ['onnxruntime']);
});

test('beside tfjs-node: its installation and its install running in this process are left alone; only ONNX Runtime’s own leftovers go', { timeout: 60_000 }, async () => {
  const dir = storage();
  const tfjsRunning = `backend-install-${process.pid}-abc`;
  writeFakeTfjsNode(path.join(dir, 'backend', 'node_modules'));
  fs.mkdirSync(path.join(dir, tfjsRunning));
  fs.mkdirSync(path.join(dir, 'onnxruntime-install-999999999-abc'));
  fs.mkdirSync(path.join(dir, `onnxruntime-old-${process.pid}-x`));
  const { result } = await install(dir, ortNpm('working'));
  assert.equal(result.outcome, 'done');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['backend', tfjsRunning, 'onnxruntime']);
});
