// One test tier under node's test runner with tsx (the unit and Keras tiers): the *.test.ts files
// under its roots (or the files and folders asked for on the command line), a spec report on
// stdout, a TAP file in test-results/, and a closing "<tier>: N passed, N failed" line. A failing
// test, or a run with no test at all, fails the tier.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.isFile() && entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** The tier's test files, repository-relative and sorted; exits when there are none. */
export function tierFiles(tier, roots, requested = process.argv.slice(2)) {
  const files = (requested.length ? requested : roots)
    .flatMap((p) => (fs.existsSync(p) && fs.statSync(p).isFile() ? [p] : findTests(path.resolve(repoRoot, p))))
    .map((file) => path.relative(repoRoot, path.resolve(repoRoot, file)))
    .sort();
  if (files.length === 0) {
    console.error(`${tier}: no *.test.ts files under ${(requested.length ? requested : roots).join(', ')}`);
    process.exit(1);
  }
  return files;
}

/** Runs the files and exits with the tier's verdict. `started` (ms) counts set-up time in the summary. */
export async function runTier(tier, files, { env = process.env, started = Date.now() } = {}) {
  fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
  // This run's own TAP file (renamed to test-results/<tier>.tap at the end), so two runs at once
  // cannot count each other's tests.
  const tapFile = `test-results/${tier}.${process.pid}.tap`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files], {
    cwd: repoRoot,
    stdio: 'inherit',
    env,
  });
  const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  const tap = fs.existsSync(path.join(repoRoot, tapFile)) ? fs.readFileSync(path.join(repoRoot, tapFile), 'utf8') : '';
  if (tap) fs.renameSync(path.join(repoRoot, tapFile), path.join(repoRoot, `test-results/${tier}.tap`));
  const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
  const [tests, pass, fail] = [count('tests'), count('pass'), count('fail')];
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${tier}: ${pass} passed, ${fail} failed, ${tests} tests in ${files.length} files (${seconds} s)`);
  if (code !== 0) process.exit(code);
  if (!(tests > 0)) {
    console.error(`${tier}: no test ran.`);
    process.exit(1);
  }
}
