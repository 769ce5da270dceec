// `npm run bench [-- <name|file> ...]`: runs the benchmarks, bench/*.bench.ts, one at a time (the
// timing benches measure ratios within one run and must not share the 2 cores with another
// bench), each as its own Node process with tsx. A benchmark prints its own tables and writes its
// JSON under test-results/bench/; this runner reports how long each took, the total against the
// suite's 30-minute target, writes that summary to test-results/bench/suite.json, and fails when
// any bench fails or none is found.
//
// Every bench of one runner invocation sees the same QUENCH_BENCH_RUN id: a bench may then reuse
// what an earlier bench of the same run measured on the same model and data (mechanism.bench.ts
// formats analyze.bench.ts's report; memory.bench.ts takes its peak RSS) instead of redoing it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGET_SECONDS = 1800;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(repoRoot, 'bench');
const all = fs.existsSync(benchDir) ? fs.readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).sort() : [];
// Bench names first, then options for every bench (`npm run bench -- compare --seeds 1 --smoke`).
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('--'));
const requested = firstOption < 0 ? args : args.slice(0, firstOption);
const passThrough = firstOption < 0 ? [] : args.slice(firstOption);
const smoke = passThrough.includes('--smoke') || process.env.QUENCH_BENCH_SMOKE === '1';
const chosen = requested.length
  ? requested.map((r) => all.find((f) => f === r || f === `${r}.bench.ts` || path.join('bench', f) === r) ?? r)
  : all;

if (chosen.length === 0) {
  console.error('bench: no bench/*.bench.ts files.');
  process.exit(1);
}

const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' / ');
const runId = `${new Date().toISOString()}-${process.pid}`;
const startedAt = new Date();
const loadAtStart = load();
const results = [];
for (const file of chosen) {
  const full = path.resolve(benchDir, path.basename(file));
  if (!fs.existsSync(full)) {
    console.error(`bench: ${file} is not one of: ${all.join(', ') || '(none)'}`);
    results.push({ bench: file, status: 'not found', seconds: 0 });
    continue;
  }
  const started = Date.now();
  const cpuBefore = childCpuSeconds();
  const loadBefore = load();
  console.log(`bench: ${path.basename(full)} (load average ${loadBefore})`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', full, ...passThrough], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, QUENCH_BENCH_RUN: runId },
  });
  const seconds = (Date.now() - started) / 1000;
  // CPU of the bench and its children (spawnSync waits for them: they count as reaped children).
  const cpuSeconds = childCpuSeconds() - cpuBefore;
  const ok = result.status === 0;
  results.push({ bench: path.basename(full), status: ok ? 'ok' : `failed (${result.status ?? result.signal})`, seconds, cpuSeconds, loadBefore, loadAfter: load() });
  if (ok) console.log(`bench: ${path.basename(full)} done in ${seconds.toFixed(1)} s`);
  else console.error(`bench: ${path.basename(full)} failed (${result.status ?? result.signal}) after ${seconds.toFixed(1)} s`);
}

/**
 * User + system seconds of the waited-for child processes so far (with their own waited-for
 * children): process.resourceUsage() covers this process only, /proc/self/stat fields 16-17
 * (cutime, cstime, in clock ticks of 1/100 s on Linux) hold the children's. NaN elsewhere.
 */
function childCpuSeconds() {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

const total = results.reduce((a, r) => a + r.seconds, 0);
const totalCpu = results.reduce((a, r) => a + (r.cpuSeconds ?? 0), 0);
const failed = results.filter((r) => r.status !== 'ok').length;
const verdict = total <= TARGET_SECONDS ? 'within' : 'over';
const summary = [
  '',
  `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} cores, load average ${loadAtStart} at the start, ${load()} at the end, node ${process.version}`,
  '',
  '| bench | status | wall s | CPU s (all processes) | load before → after |',
  '|---|---|---:|---:|---|',
  ...results.map((r) => `| ${r.bench} | ${r.status} | ${r.seconds.toFixed(1)} | ${Number.isFinite(r.cpuSeconds) ? r.cpuSeconds.toFixed(1) : '—'} | ${r.loadBefore ?? '—'} → ${r.loadAfter ?? '—'} |`),
  `| **total** | ${failed ? `${failed} failed` : 'ok'} | **${total.toFixed(1)}** | **${totalCpu.toFixed(1)}** | |`,
  '',
  `Total ${(total / 60).toFixed(1)} min wall: ${verdict} the ${TARGET_SECONDS / 60}-minute target (${TARGET_SECONDS} s)${requested.length || smoke ? ' — not the whole suite at full size, so not a check of the target' : ''}.`,
];
console.log(summary.join('\n'));
const dir = smoke ? path.join(os.tmpdir(), 'quench-bench-smoke') : path.join(repoRoot, 'test-results/bench');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, 'suite.json');
const json = { command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`, runId, startedAt: startedAt.toISOString(), cores: os.cpus().length, node: process.version,
  loadAtStart, loadAtEnd: load(), fullSuite: !requested.length && !smoke, targetSeconds: TARGET_SECONDS, totalSeconds: total, totalCpuSeconds: totalCpu, withinTarget: total <= TARGET_SECONDS, benches: results };
fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
fs.renameSync(`${file}.tmp`, file);
console.log(`summary: ${path.relative(process.cwd(), file)}`);
process.exit(failed ? 1 : 0);
