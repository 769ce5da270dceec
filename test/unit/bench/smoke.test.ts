// Every benchmark (bench/*.bench.ts) in smoke mode (QUENCH_BENCH_SMOKE=1: tiny sizes), each in its
// own process as `npm run bench` runs it: proves the benchmarks still run against the current
// engine and print their tables. The numbers are not checked (tiny sizes, shared machine).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFashionSubset } from '../../../bench/fashion-subset';

const repoRoot = path.resolve(__dirname, '../../..');
const benches = readdirSync(path.join(repoRoot, 'bench')).filter((f) => f.endsWith('.bench.ts')).sort();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'quench-bench-smoke-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** analyze.bench.ts takes its sizes from its data: 100 images of the committed subset (no training split beside them: readouts on a split). */
function extraArgs(bench: string): string[] {
  if (bench !== 'analyze.bench.ts') return [];
  const data = writeFashionSubset('t10k', 100, path.join(tmp, 'analyze'), path.join(repoRoot, 'examples/data'));
  return ['--data', path.join(data, 't10k-images-idx3-ubyte.gz'), '--readout-epochs', '1'];
}

test('every benchmark is found', () => {
  for (const name of ['mechanism', 'compare', 'sweep', 'speed', 'prune', 'memory']) assert.ok(benches.includes(`${name}.bench.ts`), `${name}.bench.ts`);
});

for (const bench of benches) {
  test(`${bench} runs in smoke mode and prints a table`, { timeout: 240_000 }, () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', bench), ...extraArgs(bench)], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, QUENCH_BENCH_SMOKE: '1' },
    });
    assert.equal(run.status, 0, `${bench} exited ${run.status ?? run.signal}:\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /\|\s*-{3}/, `${bench} printed no markdown table:\n${run.stdout.slice(-2000)}`);
    assert.doesNotMatch(run.stdout, /NaN/, `${bench} printed NaN:\n${run.stdout}`);
  });
}
