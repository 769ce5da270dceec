// Why `npm install @tensorflow/tfjs-node` failed, read from npm outputs captured on a build machine
// (fixtures/npm/README.md says how each was made), and the one message each gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyNpmFailure, failureMessage, type MessageContext } from '../../../src/extension/commands/npmFailure';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, 'fixtures', 'npm', name), 'utf8');
const ctx: MessageContext = { version: '4.22.0', platform: 'linux-x64', fallback: 'WebAssembly', timeoutSeconds: 900 };

test('tfjs-node installed but libtensorflow unreachable: no-binary, naming the host', () => {
  const failure = classifyNpmFailure({ output: fixture('no-binary-linux.txt'), exitCode: 1 });
  assert.deepEqual(failure, { reason: 'no-binary', detail: 'storage.googleapis.com could not be reached (ENOTFOUND)' });
  assert.equal(
    failureMessage(failure!, ctx),
    'Could not install the TensorFlow backend: @tensorflow/tfjs-node 4.22.0 downloaded, but its prebuilt TensorFlow library for linux-x64 ' +
      'could not be installed: storage.googleapis.com could not be reached (ENOTFOUND). Quench keeps using WebAssembly. ' +
      'npm’s last lines are in the Quench output.',
  );
});

test('a platform TensorFlow publishes no library for: no-binary, naming the platform', () => {
  const failure = classifyNpmFailure({ output: fixture('no-binary-unsupported.txt'), exitCode: 1 });
  assert.deepEqual(failure, { reason: 'no-binary', detail: 'TensorFlow publishes no prebuilt library for cpu-linux-riscv64' });
});

test('the install script still downloading when time ran out: no-binary, not a plain timeout', () => {
  const started = fixture('no-binary-linux.txt').split('\n').slice(0, 7).join('\n');
  assert.match(started, /Downloading libtensorflow/);
  const failure = classifyNpmFailure({ output: started, exitCode: null, timedOut: true });
  assert.deepEqual(failure, { reason: 'no-binary', detail: 'the download from storage.googleapis.com did not finish in time' });
});

test('registry unreachable (DNS, refused): offline, naming the registry', () => {
  assert.deepEqual(classifyNpmFailure({ output: fixture('offline-enotfound.txt'), exitCode: 1 }), {
    reason: 'offline',
    detail: 'ENOTFOUND https://registry.nonexistent.invalid/',
  });
  const refused = classifyNpmFailure({ output: fixture('offline-econnrefused.txt'), exitCode: 1 });
  assert.deepEqual(refused, { reason: 'offline', detail: 'ECONNREFUSED http://127.0.0.1:9/' });
  assert.match(failureMessage(refused!, ctx), /^Could not install the TensorFlow backend: the npm registry could not be reached \(ECONNREFUSED http:\/\/127\.0\.0\.1:9\/\)\. Check the network/);
  // npm 6's prefix.
  assert.equal(classifyNpmFailure({ output: 'npm ERR! code EAI_AGAIN\nnpm ERR! errno EAI_AGAIN\n', exitCode: 1 })?.reason, 'offline');
});

test('no npm: the spawn error, and the message names quench.nodePath when it is set', () => {
  const failure = classifyNpmFailure({ output: '', exitCode: null, spawnError: 'ENOENT' });
  assert.equal(failure?.reason, 'no-npm');
  assert.match(failureMessage(failure!, ctx), /npm was not found on the PATH\. Install Node\.js \(it includes npm\), or set quench\.nodePath/);
  assert.match(failureMessage(failure!, { ...ctx, nodePath: '/opt/node/bin/node' }), /npm was found neither beside quench\.nodePath \(\/opt\/node\/bin\/node\) nor on the PATH/);
});

test('anything else: failed, with npm’s own explanation; success is no failure', () => {
  const failure = classifyNpmFailure({ output: fixture('npm-etarget.txt'), exitCode: 1 });
  assert.deepEqual(failure, { reason: 'failed', detail: 'npm exited with code 1: ETARGET: notarget No matching version found for @tensorflow/tfjs-node@9.99.0.' });
  assert.equal(classifyNpmFailure({ output: 'added 60 packages in 7s\n', exitCode: 0 }), undefined);
  assert.deepEqual(classifyNpmFailure({ output: 'idealTree: timing\n', exitCode: null, timedOut: true }), { reason: 'timeout', detail: 'npm did not finish in time' });
  assert.match(failureMessage({ reason: 'timeout', detail: '' }, ctx), /npm did not finish within 900 s/);
});
