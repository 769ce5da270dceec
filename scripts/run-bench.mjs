// `npm run bench [-- <name|file> ...]`: runs the benchmarks, bench/*.bench.ts, one at a time (they
// measure ratios within one run and must not share the 2 cores), each as its own Node process
// with tsx. A benchmark writes its own results (docs/benchmarks.md); this runner reports which
// ran, how long each took, and fails when any fails or none is found.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(repoRoot, 'bench');
const all = fs.existsSync(benchDir) ? fs.readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).sort() : [];
// Bench names first, then options for every bench (`npm run bench -- compare --seeds 1 --smoke`).
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('--'));
const requested = firstOption < 0 ? args : args.slice(0, firstOption);
const passThrough = firstOption < 0 ? [] : args.slice(firstOption);
const chosen = requested.length
  ? requested.map((r) => all.find((f) => f === r || f === `${r}.bench.ts` || path.join('bench', f) === r) ?? r)
  : all;

if (chosen.length === 0) {
  console.error('bench: no bench/*.bench.ts files.');
  process.exit(1);
}

let failed = 0;
for (const file of chosen) {
  const full = path.resolve(benchDir, path.basename(file));
  if (!fs.existsSync(full)) {
    console.error(`bench: ${file} is not one of: ${all.join(', ') || '(none)'}`);
    failed++;
    continue;
  }
  const started = Date.now();
  console.log(`bench: ${path.basename(full)}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', full, ...passThrough], { cwd: repoRoot, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) {
    console.log(`bench: ${path.basename(full)} done in ${seconds} s`);
  } else {
    console.error(`bench: ${path.basename(full)} failed (${result.status ?? result.signal}) after ${seconds} s`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
