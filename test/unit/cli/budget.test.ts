// `quench prune --max-drop` and `quench sweep` through the real command line (src/cli/main.ts) on
// the example model and the example data: readable refusals, a budgeted prune whose reported
// figure is the held-out one and within the budget (or nothing written), the cache hit on the
// second run, and the sweep's table.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PruneParams, SweepParams } from '../../../src/protocol/engine';
import type { PruneReport } from '../../../src/protocol/report';
import { commands } from '../../../src/cli/commands';
import { parseArgs, UsageError } from '../../../src/cli/args';
import { repoRoot, tempFolder } from '../jobs/helpers';

function quench(args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, QUENCH_BACKEND: 'wasm' } });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

function params(command: 'prune' | 'sweep', argv: string[]): Partial<PruneParams & SweepParams> {
  const spec = commands.find((c) => c.name === command)!;
  return spec.toParams('m.json', parseArgs(argv, spec.flags).flags) as PruneParams | SweepParams;
}

describe('budget flags', () => {
  it('refuse what contradicts or is out of range, naming the flag', () => {
    const refusals: [string[], RegExp][] = [
      [['--data', 'd', '--max-drop', '-1'], /--max-drop .*0 or more/],
      [['--data', 'd', '--method', 'auto'], /--method auto .*--max-drop/],
      [['--data', 'd', '--objective', 'macs'], /--objective needs --max-drop/],
      [['--data', 'd', '--no-cache'], /--no-cache needs --max-drop/],
      [['--data', 'd', '--max-drop', '1', '--held-out', '1'], /--held-out .*between 0 and 1/],
      [['--data', 'd', '--max-drop', '1', '--sparsity', '0.5'], /--sparsity fixes the sparsity, --max-drop searches it/],
      [['--data', 'd', '--max-drop', '1', '--objective', 'latency'], /--objective must be one of params, macs, size/],
      [['--data', 'd', '--max-drop', '1', '--ladder', '0.5,1.5'], /--ladder takes sparsities in \(0, 1\]/],
      [['--data', 'd', '--max-drop', '1', '--method', 'sfp-filters'], /--method sfp-filters removes whole filters/],
    ];
    for (const [argv, message] of refusals) assert.throws(() => params('prune', argv), (e: unknown) => e instanceof UsageError && message.test(e.message), argv.join(' '));
  });

  it('map onto the request: magnitude by default, --train-data alone is enough for the default fine-tuning', () => {
    assert.deepEqual(params('prune', ['--data', 'd', '--max-drop', '0.5', '--train-data', 't', '--ladder', '0.5,0.9', '--no-cache']), {
      model: 'm.json', data: 'd', method: 'magnitude', maxDrop: 0.5, ladder: [0.5, 0.9], cache: false, trainData: 't',
    });
    assert.equal(params('prune', ['--data', 'd']).method, 'afcc');
    assert.deepEqual(params('sweep', ['--data', 'd', '--sparsities', '0.5,0.8']).methods, ['afcc', 'magnitude', 'random-afcc']);
  });

  it('a refusal from the command line says what is wrong and exits 2', () => {
    const run = quench(['prune', 'examples/fashion-vgg/model.json', '--data', 'examples/data', '--max-drop', '-0.5']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--max-drop is the largest top-1 drop allowed, in percentage points: 0 or more, not -0.5/);
  });
});

describe('quench prune --max-drop on the example', () => {
  let dir: string;
  let model: string;
  before(async () => {
    dir = await tempFolder('cli-budget');
    for (const name of ['model.json', 'group1-shard1of1.bin']) await fs.copyFile(path.join(repoRoot, 'examples/fashion-vgg', name), path.join(dir, name));
    model = path.join(dir, 'model.json');
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  // Small enough for CI: 100 images, one ladder point, no fine-tuning (BatchNorm is still re-estimated).
  const args = () => ['prune', model, '--data', 'examples/data', '--limit', '100', '--max-drop', '2', '--method', 'magnitude', '--ladder', '0.9', '--finetune-epochs', '0', '--out', path.join(dir, 'out', 'model.json'), '--json'];

  it('reports the held-out figure within the budget, the split and every attempt; a second run reads the scan from the cache', async () => {
    const first = quench(args());
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as PruneReport;
    const budget = report.budget!;
    assert.equal(budget.split.calibration + budget.split.heldOut, 100);
    assert.equal(budget.heldOutBefore.samples, budget.split.heldOut);
    assert.equal(report.accuracy.before.samples, budget.split.heldOut, 'the reported accuracy is the held-out one');
    assert.equal(budget.sensitivity.cache.hit, false);
    assert.equal(budget.sensitivity.curves.length, 7, 'every conv and dense layer was scanned');
    assert.ok(budget.attempts.length >= 1);
    // The verified drop is the held-out top-1 difference in pp (rounded to 4 decimals in the report).
    for (const a of budget.attempts) assert.ok(Math.abs(a.verifiedDrop - (budget.heldOutBefore.top1 - a.heldOutTop1) * 100) <= 5e-5, `${a.verifiedDrop} pp`);
    if (budget.chosen) {
      assert.ok(budget.chosen.verifiedDrop <= 2 && budget.chosen.withinBudget);
      assert.equal(report.accuracy.after.top1, budget.chosen.heldOutTop1);
      assert.ok(report.output?.verified);
      assert.ok(report.totals.after.sparsity > 0.05, `only ${report.totals.after.sparsity} of the model is zero`);
    } else {
      assert.equal(report.output, null);
    }
    const second = quench(args());
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout) as PruneReport;
    assert.equal(again.budget!.sensitivity.cache.hit, true);
    assert.deepEqual(again.budget!.sensitivity.curves, budget.sensitivity.curves);
    const scan = again.timings.find((t) => t.stage.startsWith('sensitivity-'));
    assert.ok(scan && scan.seconds < 1, `the cached scan took ${scan?.seconds} s`);
  });

  it('quench sweep prints accuracy against sparsity per method', () => {
    const run = quench(['sweep', model, '--data', 'examples/data', '--limit', '100', '--methods', 'magnitude', '--sparsities', '0.5,0.9', '--max-drop', '1', '--no-recalibrate-bn']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^magnitude$/m);
    assert.match(run.stdout, /Sparsity\s+Targeted\s+Removed \(params\)\s+Top-1\s+BN re-est\.\s+Fine-tuned/);
    assert.match(run.stdout, /^\s+50%\s+50\.\d%/m);
    assert.match(run.stdout, /within the budget of 1 pp/);
  });
});
