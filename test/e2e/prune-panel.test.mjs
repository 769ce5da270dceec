// A person's path from a model to its report: right-click the example model in the Explorer →
// Quench: Prune Model… → "A fixed sparsity or threshold…" (AFCC, whose SFP grid this test paints)
// → the example data folder, then every step's default → the progress
// notification → the report panel opens beside the editor. The panel's numbers must equal the JSON
// report the job saved in .quench/runs/; a layer's SFP grid must be painted; then a dark theme and
// one screenshot per view. Works on a throw-away copy of examples/, so the repository stays clean.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/code-server.mjs';
import { explorerContextMenu, findWebviewFrame, makeWorkspace, openWorkbench, screenshot, setColorTheme, tfjsModels } from './workbench.mjs';
import { acceptPruneDefaults, canvasInk, expectedCards, newestRun } from './report-checks.mjs';

test('Explorer → Prune Model… with the defaults → the panel beside the editor shows the saved report', { timeout: 480_000 }, async () => {
  const workspace = makeWorkspace();
  const model = tfjsModels(workspace.dir).find((m) => m.name === 'fashion-vgg');
  assert.ok(model, 'the example workspace has no fashion-vgg/model.json');
  const dataDir = path.join(workspace.dir, 'data');
  assert.ok(fs.existsSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz')), `${dataDir} lacks the example test set`);
  // Start light, so the switch to a dark theme later is a real change.
  const workbench = await openWorkbench({ workspace: workspace.dir, extensionDir: repoRoot, settings: { 'workbench.colorTheme': 'Default Light Modern' } });
  const { page } = workbench;
  try {
    await explorerContextMenu(page, { folder: model.name, file: /^model\.json$/, itemText: 'Prune Model', open: true });
    const steps = await acceptPruneDefaults(page, { dataDir, budget: 'fixed' });
    await screenshot(page, 'prune-panel-started');
    assert.ok(steps.progressShown, `no progress notification after the quick-pick steps:\n${steps.seen.join('\n')}`);

    // The job ends with the report panel in the editor group beside model.json.
    const runsDir = path.join(workspace.dir, '.quench', 'runs');
    const panel = await findWebviewFrame(page, () => !!document.querySelector('[data-testid="params"]') && document.body.innerText.includes('prune'), undefined, 300_000);
    const shot = await screenshot(page, 'prune-panel-opened');
    assert.ok(panel, `no report panel within 5 minutes of starting (screenshot: ${shot}); console errors:\n${workbench.consoleErrors.slice(-10).join('\n')}`);
    const groups = page.locator('.part.editor .editor-group-container');
    assert.equal(await groups.count(), 2, 'the panel opens in a second editor group');
    assert.match(await groups.nth(0).locator('.tab').allInnerTexts().then((t) => t.join(' ')), /model\.json/, 'model.json stays in the first group');
    assert.match(await groups.nth(1).locator('.tab').allInnerTexts().then((t) => t.join(' ')), /Quench: fashion-vgg/, 'the panel sits in the group beside it');

    // The numbers shown are the saved report's.
    const { report, file } = newestRun(runsDir, 'prune');
    assert.equal(report.model.path, path.join(workspace.dir, model.file));
    assert.ok(report.output && fs.existsSync(report.output.path), `the pruned model ${report.output?.path} was written`);
    const expected = expectedCards(report);
    // A card's value, without its label; the delta is a span of its own.
    const shown = await panel.evaluate(() => Object.fromEntries(['params', 'sparsity', 'top1-delta'].map((id) => {
      const element = document.querySelector(`[data-testid="${id}"]`);
      return [id, (element?.querySelector('.card-value') ?? element)?.textContent ?? null];
    })));
    assert.equal(shown.params, `${expected.paramsBefore} → ${expected.paramsAfter}`, `params card vs ${path.basename(file)}`);
    assert.match(shown.sparsity ?? '', new RegExp(`^${escape(expected.sparsityBefore)} → ${escape(expected.sparsityAfter)} \\(targeted ${escape(expected.targeted)}\\)`), 'sparsity card');
    assert.equal(shown['top1-delta'], expected.top1Delta, 'top-1 delta');
    await screenshot(page, 'panel-light-overview');

    // Layers: each pruned layer's row shows the report's sparsity; a click opens its SFP view.
    await panel.locator('vscode-tab-header[data-tab="layers"]').click();
    await panel.locator('[data-testid="layer-table"]').waitFor({ state: 'visible', timeout: 15_000 });
    for (const layer of report.layers.filter((l) => l.targeted)) {
      const row = panel.locator(`[data-testid="layer-table"] tr[data-layer="${layer.name}"]`);
      assert.match(await row.innerText(), new RegExp(escape(percent(layer.after.sparsity))), `row ${layer.name} shows its sparsity after`);
    }
    const analysed = report.sfp?.layers.at(-1)?.name;
    assert.ok(analysed, 'the AFCC report holds an SFP analysis');
    await panel.locator(`[data-testid="layer-table"] tr[data-layer="${analysed}"]`).click();
    await panel.locator(`[data-testid="layer-detail"][data-layer="${analysed}"]`).waitFor({ state: 'visible', timeout: 15_000 });
    // The grid paints once the layer's matrices arrive from the run's side file.
    const painted = await panel.waitForFunction(() => document.body.dataset.renderState === 'idle' && !/Loading matrices/.test(document.body.innerText), undefined, { timeout: 60_000 }).then(() => true, () => false);
    const detailText = await panel.locator('[data-testid="layer-detail"]').innerText();
    assert.ok(painted, `the SFP view of ${analysed} did not finish painting (screenshot: ${await screenshot(page, 'prune-panel-sfp')}):\n${detailText.slice(0, 600)}`);
    assert.match(detailText, /Normalised SFP matrices/, `the SFP view of ${analysed} shows the run's matrices`);
    const grid = await canvasInk(panel, '[data-testid="sfp-grid"]');
    assert.ok(grid.width > 0 && grid.height > 0, `the SFP grid has a size (${grid.width}×${grid.height})`);
    assert.ok(grid.colours >= 8 && grid.inked > grid.width * grid.height * 0.05, `the SFP grid is painted (${grid.colours} colours, ${grid.inked} inked pixels)`);
    await panel.locator('[data-testid="connection-mask"]').waitFor({ state: 'attached', timeout: 15_000 });
    const mask = await canvasInk(panel, '[data-testid="connection-mask"]');
    assert.ok(mask.colours >= 2, `the connection mask shows kept and removed connections (${mask.colours} colours)`);

    // Dark theme through the palette: the webview follows, then one screenshot per view.
    await setColorTheme(page, 'Dark Modern', 'vs-dark');
    await panel.waitForFunction(() => document.body.classList.contains('vscode-dark'), undefined, { timeout: 15_000 });
    const shots = {};
    for (const tab of ['overview', 'layers', 'curves', 'history']) {
      await panel.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
      await panel.locator(`vscode-tab-panel[data-tab="${tab}"]`).waitFor({ state: 'visible', timeout: 15_000 });
      if (tab === 'layers') await panel.locator(`[data-testid="layer-detail"][data-layer="${analysed}"]`).waitFor({ state: 'visible', timeout: 15_000 });
      if (tab === 'curves') await panel.locator('[data-testid="curves"]').waitFor({ state: 'visible', timeout: 15_000 });
      if (tab === 'history') await panel.locator('[data-testid="history"]').waitFor({ state: 'visible', timeout: 15_000 });
      await page.waitForTimeout(500); // let the canvases repaint in the new theme
      shots[tab] = await screenshot(page, `panel-dark-${tab}`);
    }
    assert.match(await panel.locator('[data-testid="history"]').innerText(), new RegExp(escape(report.method)), 'the history lists the run');
    // The README's screenshot is refreshed on request only, so test runs leave the tree clean.
    if (process.env.QUENCH_UPDATE_SCREENSHOT === '1') fs.copyFileSync(shots.layers, path.join(repoRoot, 'docs', 'screenshot-panel.png'));
  } finally {
    await workbench.close();
    workspace.cleanup(); // the pruned model, .quench/ and the data copy go with the workspace copy
  }
});

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const percent = (f) => `${(f * 100).toFixed(1)}%`;
