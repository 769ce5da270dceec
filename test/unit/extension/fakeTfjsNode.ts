// A stand-in for @tensorflow/tfjs-node (which cannot be installed on the build machines): a package
// that registers TensorFlow.js's cpu kernels under the backend name "tensorflow" from its own copy
// of tfjs-core and exports that copy, so the engine's backend lookup and the installer's smoke
// test can load it. It writes
// `loaded-<pid>` beside itself, so a test can tell that this copy was the one loaded.
import * as fs from 'node:fs';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../..');

export type FakeKind = 'working' | 'throws' | 'no-backend';

/** Writes <modulesDir>/@tensorflow/tfjs-node; returns the package folder. */
export function writeFakeTfjsNode(modulesDir: string, kind: FakeKind = 'working'): string {
  const folder = path.join(modulesDir, '@tensorflow', 'tfjs-node');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
  const core = JSON.stringify(path.join(repoRoot, 'node_modules/@tensorflow/tfjs-core'));
  const cpu = JSON.stringify(path.join(repoRoot, 'node_modules/@tensorflow/tfjs-backend-cpu'));
  const body = {
    // Like the real package, it brings its own copy of TensorFlow.js: a second instance of
    // tfjs-core (and of the cpu backend bound to it), not the engine's.
    working: `
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
function freshInstance(id, overrides) {
  const file = require.resolve(id);
  const copy = new Module(file, module);
  copy.filename = file;
  copy.paths = Module._nodeModulePaths(path.dirname(file));
  const plain = copy.require.bind(copy);
  copy.require = (request) => overrides[request] || plain(request);
  copy._compile(fs.readFileSync(file, 'utf8'), file);
  return copy.exports;
}
const core = freshInstance(${core}, {});
if (core === require(${core})) throw new Error('fake tfjs-node: not a second copy of tfjs-core');
const cpu = freshInstance(${cpu}, { '@tensorflow/tfjs-core': core });
for (const kernel of core.getKernelsForBackend('cpu')) core.registerKernel({ ...kernel, backendName: 'tensorflow' });
core.registerBackend('tensorflow', () => new cpu.MathBackendCPU(), 3);
module.exports = core;`,
    throws: `throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');`,
    'no-backend': `module.exports = require(${core});`,
  }[kind];
  fs.writeFileSync(
    path.join(folder, 'index.js'),
    `require('node:fs').writeFileSync(require('node:path').join(__dirname, 'loaded-' + process.pid), '');\n${body}\n`,
  );
  return folder;
}

/** Pids of the processes that loaded the fake in `folder`. */
export function loadedBy(folder: string): number[] {
  return fs
    .readdirSync(folder)
    .filter((name) => name.startsWith('loaded-'))
    .map((name) => Number(name.slice('loaded-'.length)));
}
