// The optional onnxruntime-node for the ONNX tier: installed once with npm into
// .cache/onnxruntime-node/<version>/node_modules (the version package.json's
// quench.onDemandDependencies pins, the one the extension's Install ONNX Runtime command installs),
// with ONNXRUNTIME_NODE_INSTALL=skip so its install script fetches no CUDA libraries from outside
// the npm registry. The tests reach it through QUENCH_EXTRA_MODULES, as the engine finds it when
// the extension installed it. Returns { modules, version } or { modules: null, reason }.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'onnxruntime-node';

export function onnxRuntimeVersion() {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const version = manifest.quench?.onDemandDependencies?.[PACKAGE];
  if (!version) throw new Error(`package.json pins no ${PACKAGE} version under quench.onDemandDependencies`);
  return version;
}

export function ensureOnnxRuntime({ log = () => undefined } = {}) {
  const version = onnxRuntimeVersion();
  const root = path.join(repoRoot, '.cache', PACKAGE, version);
  const modules = path.join(root, 'node_modules');
  if (existsSync(path.join(modules, PACKAGE, 'package.json')) && loads(modules)) return { modules, version };
  // Into a temporary folder, moved into place only once it loads: an interrupted install leaves nothing half-made.
  const temp = `${root}.install-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  log(`onnx: installing ${PACKAGE}@${version} into ${path.relative(repoRoot, root)} (npm registry only: ONNXRUNTIME_NODE_INSTALL=skip)`);
  const npm = spawnSync('npm', ['install', '--prefix', temp, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--fetch-retries=1', `${PACKAGE}@${version}`], {
    encoding: 'utf8',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    timeout: 15 * 60_000,
  });
  const output = `${npm.stdout ?? ''}${npm.stderr ?? ''}${npm.error ? String(npm.error) : ''}`;
  if (npm.status !== 0 || !loads(path.join(temp, 'node_modules'))) {
    rmSync(temp, { recursive: true, force: true });
    const last = output.trim().split('\n').slice(-3).join(' / ');
    return { modules: null, reason: `npm install ${PACKAGE}@${version} ${npm.status === 0 ? 'gave a package that does not load' : 'failed'}: ${last}` };
  }
  rmSync(root, { recursive: true, force: true });
  renameSync(temp, root);
  return { modules, version };
}

/** Whether a child node can load it from `modules` and see its version. */
function loads(modules) {
  const child = spawnSync(process.execPath, ['-e', `const ort = require(${JSON.stringify(path.join(modules, PACKAGE))}); if (typeof ort.InferenceSession?.create !== 'function') process.exit(1);`], { encoding: 'utf8' });
  return child.status === 0;
}
