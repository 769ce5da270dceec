// Keras tier: every test/keras/**/*.test.ts under node's test runner with tsx, judged by real
// Keras 3 + TensorFlow in the venv python-env.mjs prepares (passed to the tests as QUENCH_PYTHON).
// Zero tests is a failure. Where the venv cannot be made because no package index is reachable (or
// there is no python3), the tier prints one `keras: skipped — <reason>` line and passes, except
// with CI=true, where every failure to set up is loud.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePythonEnv } from './python-env.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = 'test/keras';

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.isFile() && entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

// `npm run test:keras -- test/keras/read.test.ts` narrows the run to the given files or folders.
const requested = process.argv.slice(2);
const files = (requested.length ? requested : [root])
  .flatMap((p) => (fs.existsSync(p) && fs.statSync(p).isFile() ? [p] : findTests(path.resolve(repoRoot, p))))
  .map((file) => path.relative(repoRoot, path.resolve(repoRoot, file)))
  .sort();

if (files.length === 0) {
  console.error(`keras: no *.test.ts files under ${(requested.length ? requested : [root]).join(', ')}`);
  process.exit(1);
}

const started = Date.now();
const ci = process.env.CI === 'true';
const env = await ensurePythonEnv();
if (!env.python) {
  if (ci || !env.offline) {
    if (env.output) console.error(env.output.trim().split('\n').slice(-40).join('\n'));
    console.error(`keras: FAILED to prepare the Python venv — ${env.reason}`);
    process.exit(1);
  }
  console.log(`keras: skipped — ${env.reason}`);
  process.exit(0);
}

fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
// This run's own TAP file (renamed to test-results/keras.tap at the end), so two runs at once
// cannot count each other's tests.
const tapFile = `test-results/keras.${process.pid}.tap`;
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, QUENCH_PYTHON: env.python },
});

const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
const tap = fs.existsSync(path.join(repoRoot, tapFile)) ? fs.readFileSync(path.join(repoRoot, tapFile), 'utf8') : '';
if (tap) fs.renameSync(path.join(repoRoot, tapFile), path.join(repoRoot, 'test-results/keras.tap'));
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
const [tests, pass, fail] = [count('tests'), count('pass'), count('fail')];
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`keras: ${pass} passed, ${fail} failed, ${tests} tests in ${files.length} files (${seconds} s)`);
if (code !== 0) process.exit(code);
if (!(tests > 0)) {
  console.error('keras: no test ran.');
  process.exit(1);
}
