// Unit tier: every test/unit/**/*.test.ts and test/fuzz/**/*.test.ts under node's test runner with
// tsx. Node 20's --test takes no globs, so the files are listed here. Zero tests is a failure.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const roots = ['test/unit', 'test/fuzz'];

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.isFile() && entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

// `npm run test:unit -- test/unit/sfp` narrows the run to the given files or folders.
const requested = process.argv.slice(2);
const files = (requested.length ? requested : roots)
  .flatMap((p) => (fs.existsSync(p) && fs.statSync(p).isFile() ? [p] : findTests(path.resolve(repoRoot, p))))
  .map((file) => path.relative(repoRoot, path.resolve(repoRoot, file)))
  .sort();

if (files.length === 0) {
  console.error(`unit: no *.test.ts files under ${(requested.length ? requested : roots).join(', ')}`);
  process.exit(1);
}

fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
const started = Date.now();
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', '--test-reporter-destination=test-results/unit.tap', ...files], {
  cwd: repoRoot,
  stdio: 'inherit',
});

const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
const tap = fs.existsSync(path.join(repoRoot, 'test-results/unit.tap')) ? fs.readFileSync(path.join(repoRoot, 'test-results/unit.tap'), 'utf8') : '';
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
const [tests, pass, fail] = [count('tests'), count('pass'), count('fail')];
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`unit: ${pass} passed, ${fail} failed, ${tests} tests in ${files.length} files (${seconds} s)`);
if (code !== 0) process.exit(code);
if (!(tests > 0)) {
  console.error('unit: no test ran.');
  process.exit(1);
}
