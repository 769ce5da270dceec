// End-to-end tier: test/e2e/*.test.mjs under node's test runner. Each test drives the real
// workbench (code-server + headless Chromium) and stops what it started. Zero tests is a failure.
//   node scripts/run-e2e.mjs [test/e2e/panel.test.mjs ...]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureCodeServer, repoRoot } from './code-server.mjs';

const dir = path.join(repoRoot, 'test', 'e2e');
const requested = process.argv.slice(2);
const files = (requested.length ? requested : fs.readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).map((f) => path.join('test', 'e2e', f))).sort();
if (files.length === 0) {
  console.error('e2e: no test/e2e/*.test.mjs files');
  process.exit(1);
}

// Install before the clock of the first test starts (a few minutes on a fresh machine).
ensureCodeServer();

const resultsDir = path.join(repoRoot, 'test-results');
const tapFile = path.join(resultsDir, 'e2e.tap');
fs.mkdirSync(resultsDir, { recursive: true });
fs.rmSync(tapFile, { force: true });
const started = Date.now();
// One file at a time: each starts code-server and Chromium, too heavy to overlap on 2 cores.
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files], {
  cwd: repoRoot,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));

const tap = fs.existsSync(tapFile) ? fs.readFileSync(tapFile, 'utf8') : '';
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`e2e: ${count('pass')} passed, ${count('fail')} failed, ${count('tests')} tests in ${files.length} files (${seconds} s)`);
if (code !== 0) process.exit(code);
if (!(count('tests') > 0) || count('pass') !== count('tests')) {
  console.error('e2e: no test ran, or some did not pass.');
  process.exit(1);
}
