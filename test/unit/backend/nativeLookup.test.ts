// The engine finds @tensorflow/tfjs-node in a QUENCH_EXTRA_MODULES folder (where the extension's
// Install Faster Backend command puts it) and falls back to wasm when that folder lacks it or
// holds a copy that does not load. Real engine processes (src/engine/main.ts through tsx), with a
// fake tfjs-node (test/unit/extension/fakeTfjsNode.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineConnection, EngineRequestError } from '../../../src/extension/client/connection';
import { engineProcessStarter } from '../../../src/extension/client/process';
import { nativeBackendCandidates } from '../../../src/engine/backend';
import { loadedBy, writeFakeTfjsNode, type FakeKind } from '../extension/fakeTfjsNode';

const repoRoot = path.resolve(__dirname, '../../..');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-native-lookup-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

// Where the engine's own node_modules has the real package, it wins and these checks say nothing.
const ownNative = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node', { paths: [repoRoot] });
    return 'the real @tensorflow/tfjs-node is installed in node_modules';
  } catch {
    return false;
  }
})();

function modulesWith(kind: FakeKind | 'none'): string {
  const modules = fs.mkdtempSync(path.join(temp, `${kind}-`));
  if (kind !== 'none') writeFakeTfjsNode(modules, kind);
  return modules;
}

async function engineInfo(extraModules: string, backend = 'auto'): Promise<string> {
  const connection = new EngineConnection(
    engineProcessStarter({
      enginePath: path.join(repoRoot, 'src/engine/main.ts'),
      execArgv: ['--import', 'tsx'],
      backend,
      env: { QUENCH_EXTRA_MODULES: extraModules },
    }),
  );
  try {
    return (await connection.request('info', {})).backend;
  } finally {
    connection.dispose();
  }
}

test('nativeBackendCandidates: the package by name, then each absolute folder of QUENCH_EXTRA_MODULES', () => {
  const a = path.join(temp, 'a', 'node_modules');
  const b = path.join(temp, 'b', 'node_modules');
  assert.deepEqual(nativeBackendCandidates({ QUENCH_EXTRA_MODULES: [a, '', 'relative/node_modules', ` ${b} `].join(path.delimiter) }), [
    '@tensorflow/tfjs-node',
    path.join(a, '@tensorflow', 'tfjs-node'),
    path.join(b, '@tensorflow', 'tfjs-node'),
  ]);
  assert.deepEqual(nativeBackendCandidates({}), ['@tensorflow/tfjs-node']);
});

test('the engine runs on tensorflow when the extra folder holds a working tfjs-node', { skip: ownNative, timeout: 60_000 }, async () => {
  const modules = modulesWith('working');
  assert.equal(await engineInfo(modules), 'tensorflow');
  assert.equal(loadedBy(path.join(modules, '@tensorflow', 'tfjs-node')).length, 1, 'the copy in the extra folder was loaded');
});

test('without it, or with a copy that throws or registers nothing, the engine falls back to wasm', { skip: ownNative, timeout: 90_000 }, async () => {
  assert.equal(await engineInfo(modulesWith('none')), 'wasm');
  assert.equal(await engineInfo(path.join(temp, 'does-not-exist')), 'wasm');
  const throwing = modulesWith('throws');
  assert.equal(await engineInfo(throwing), 'wasm');
  assert.equal(loadedBy(path.join(throwing, '@tensorflow', 'tfjs-node')).length, 1, 'the broken copy was tried');
  assert.equal(await engineInfo(modulesWith('no-backend')), 'wasm');
});

test('QUENCH_BACKEND=tensorflow names the extra folder and why it did not load', { skip: ownNative, timeout: 60_000 }, async () => {
  const throwing = modulesWith('throws');
  await assert.rejects(engineInfo(throwing, 'tensorflow'), (error: unknown) => {
    assert.ok(error instanceof EngineRequestError);
    assert.equal(error.code, 'backend');
    assert.match(error.message, /Install Faster Backend/);
    assert.ok(error.message.includes(path.join(throwing, '@tensorflow', 'tfjs-node')), error.message);
    assert.match(error.message, /libtensorflow\.so\.2: cannot open shared object file/);
    return true;
  });
});

test("the engine's TensorFlow.js computes on the backend that the extra folder's own tfjs copy registered", { skip: ownNative, timeout: 60_000 }, async () => {
  const modules = modulesWith('working');
  process.env['QUENCH_EXTRA_MODULES'] = modules;
  const { initBackend } = await import('../../../src/engine/backend');
  const tf = await import('@tensorflow/tfjs');
  assert.equal(await initBackend(), 'tensorflow');
  assert.deepEqual(loadedBy(path.join(modules, '@tensorflow', 'tfjs-node')), [process.pid]);
  const before = tf.memory().numTensors;
  const sum = tf.tidy(() => tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.tensor2d([[1], [1]])).square().sum());
  assert.equal((await sum.data())[0], 58);
  sum.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.getBackend(), 'tensorflow');
});
