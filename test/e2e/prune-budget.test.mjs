// The headline workflow as a new user meets it: right-click the example model → Prune Model… →
// the first question's recommended answer "Keep top-1 within 0.5 pp" (Enter) → the example data
// folder → Start (method magnitude, one fine-tuning epoch on the training images beside the test set).
// The job must end with a report whose verified held-out drop is within the 0.5 pp chosen — the
// figure checked against the budget and against the held-out accuracies it comes from, never a
// timing — a model written and verified, and the panel stating that drop, the budget and the
// split. To keep the engine's run short on 2 cores (the scan measures six sparsities per layer) the throw-away workspace holds the first 400 test images (about 200 held out: one image
// is 0.5 pp, so the budget allows at most one more mistake) and the first 300 training images of
// the example's data (the same files, shorter).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { repoRoot } from '../../scripts/code-server.mjs';
import { explorerContextMenu, findWebviewFrame, makeWorkspace, openWorkbench, screenshot, tfjsModels } from './workbench.mjs';
import { acceptPruneDefaults, newestRun } from './report-checks.mjs';

const TEST_IMAGES = 400;
const TRAIN_IMAGES = 300;

/** Rewrites a gzipped IDX file in place with its first `count` records (the header's count too). */
function shortenIdx(file, count) {
  const bytes = zlib.gunzipSync(fs.readFileSync(file));
  const dims = bytes[3];
  const header = 4 + 4 * dims;
  const total = bytes.readUInt32BE(4);
  if (total <= count) return total;
  let record = 1;
  for (let d = 1; d < dims; d++) record *= bytes.readUInt32BE(4 + 4 * d);
  const out = Buffer.from(bytes.subarray(0, header + count * record));
  out.writeUInt32BE(count, 4);
  fs.writeFileSync(file, zlib.gzipSync(out));
  return count;
}

test('Explorer → Prune Model… → Keep top-1 within 0.5 pp → the report verifies a held-out drop within 0.5 pp', { timeout: 900_000 }, async () => {
  const workspace = makeWorkspace();
  const model = tfjsModels(workspace.dir).find((m) => m.name === 'fashion-vgg');
  assert.ok(model, 'the example workspace has no fashion-vgg/model.json');
  const dataDir = path.join(workspace.dir, 'data');
  const train = path.join(dataDir, 'train-images-idx3-ubyte.gz');
  assert.ok(fs.existsSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz')), `${dataDir} lacks the example test set`);
  assert.ok(fs.existsSync(train), `${dataDir} lacks the example training subset (train-images-idx3-ubyte.gz)`);
  for (const [stem, count] of [['t10k', TEST_IMAGES], ['train', TRAIN_IMAGES]]) {
    for (const kind of ['images-idx3', 'labels-idx1']) shortenIdx(path.join(dataDir, `${stem}-${kind}-ubyte.gz`), count);
  }
  const workbench = await openWorkbench({ workspace: workspace.dir, extensionDir: repoRoot, settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
  const { page } = workbench;
  try {
    await explorerContextMenu(page, { folder: model.name, file: /^model\.json$/, itemText: 'Prune Model', open: true });
    const steps = await acceptPruneDefaults(page, { dataDir });
    assert.ok(steps.progressShown, `no progress notification after the quick-pick steps (screenshot: ${await screenshot(page, 'prune-budget-flow')}):\n${steps.seen.join('\n')}`);
    // The first question offered the budget first, recommended; the last step said what would run.
    assert.match(steps.seen[0], /How much top-1|Keep top-1 within 0\.5 pp/, `the first step is the budget:\n${steps.seen.join('\n')}`);
    assert.match(steps.seen[0], /Keep top-1 within 0\.5 pp[\s|]*recommended/, 'the 0.5 pp budget comes first, recommended');
    assert.match(steps.lastStep, /Top-1 within 0\.5 pp · Magnitude, most parameters removed · fine-tune 1 epoch/, `the last step:\n${steps.lastStep}`);

    // The report panel with its budget verdict, or the job's error notification (a failed job ends the test at once).
    const failure = page.locator('.notifications-toasts .notification-toast', { hasText: 'Show Log' }).first();
    const failed = failure.waitFor({ state: 'visible', timeout: 780_000 }).then(async () => (await failure.innerText()).replace(/\s+/g, ' '), () => null);
    const panel = await Promise.race([findWebviewFrame(page, () => !!document.querySelector('[data-testid="budget-verdict"]'), undefined, 780_000), failed.then((m) => (m ? null : new Promise(() => {})))]);
    const shot = await screenshot(page, 'prune-budget-panel');
    assert.ok(panel, `no report panel with a budget verdict (screenshot: ${shot}); ${(await Promise.race([failed, Promise.resolve(null)])) ?? 'no error notification'}; console errors:\n${workbench.consoleErrors.slice(-10).join('\n')}`);

    // The saved report: the verified drop is within the budget and is what the held-out accuracies say.
    const { report, file } = newestRun(path.join(workspace.dir, '.quench', 'runs'), 'prune');
    const budget = report.budget;
    assert.ok(budget, `${path.basename(file)} has no budget section`);
    assert.equal(budget.maxDrop, 0.5);
    assert.equal(budget.requestedMethod, 'magnitude');
    assert.ok(budget.chosen, `nothing met the budget: ${JSON.stringify(budget.attempts.map((a) => [a.method, a.scale, a.verifiedDrop]))}`);
    assert.ok(budget.chosen.verifiedDrop <= budget.maxDrop + 1e-9, `verified held-out drop ${budget.chosen.verifiedDrop} pp is over the 0.5 pp budget`);
    assert.equal(budget.chosen.withinBudget, true);
    const measured = (budget.heldOutBefore.top1 - budget.heldOutAfter.top1) * 100;
    assert.ok(Math.abs(measured - budget.chosen.verifiedDrop) < 1e-6, `the verified drop ${budget.chosen.verifiedDrop} is the held-out accuracies' ${measured}`);
    assert.ok(Math.abs(budget.heldOutAfter.top1 - budget.chosen.heldOutTop1) < 1e-9, 'the written attempt is the one measured after');
    assert.equal(budget.split.calibration + budget.split.heldOut, TEST_IMAGES, `calibration and held-out split the ${TEST_IMAGES} test images`);
    assert.equal(budget.heldOutAfter.samples, budget.split.heldOut, 'the figure was measured on the held-out split');
    assert.ok(report.finetune && report.finetune.epochs === 1, 'one fine-tuning epoch on the training images beside the test set');
    assert.ok(budget.chosen.removed > 0, 'something was removed');
    assert.ok(report.output?.verified && fs.existsSync(report.output.path), `the pruned model ${report.output?.path} was written and verified`);

    // The panel states that drop against the budget, and the split it was measured on.
    const shown = await panel.evaluate(() => ({
      verdict: document.querySelector('[data-testid="budget-verdict"]')?.textContent ?? '',
      split: document.querySelector('[data-testid="budget-split"]')?.textContent ?? '',
      attempts: document.querySelectorAll('[data-testid="budget-attempts"] tbody tr').length,
    }));
    const drop = Math.ceil(budget.chosen.verifiedDrop * 100 - 1e-9) / 100;
    assert.equal(shown.verdict.startsWith(`Verified held-out drop ${drop < 0 ? '−' : ''}${Math.abs(drop).toFixed(2)} pp within the budget of 0.5 pp`), true, `panel verdict: ${shown.verdict}`);
    assert.match(shown.split, new RegExp(`measured on ${budget.split.heldOut.toLocaleString('en-US')} held-out images the search never saw`));
    assert.match(shown.split, new RegExp(`other ${budget.split.calibration.toLocaleString('en-US')} calibration images`));
    assert.equal(shown.attempts, budget.attempts.length, 'one row per verified attempt');

    // The choice is remembered for the next run: the budget, method magnitude.
    const remembered = JSON.parse(fs.readFileSync(path.join(workspace.dir, '.quench', 'models.json'), 'utf8'))['fashion-vgg/model.json'];
    assert.deepEqual([remembered.maxDrop, remembered.budgetMethod, remembered.data], [0.5, 'magnitude', 'data']);
    console.log(`prune-budget: verified drop ${budget.chosen.verifiedDrop} pp (budget 0.5), ${(budget.chosen.removed * 100).toFixed(1)}% of ${budget.objective} removed by ${budget.chosen.method}, ${budget.attempts.length} attempts, split ${budget.split.calibration}/${budget.split.heldOut}`);
  } finally {
    await workbench.close();
    workspace.cleanup();
  }
});
