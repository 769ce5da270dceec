// The report panel at half of a 700 px window. The example model has a remembered choice in
// .quench/models.json (its data, magnitude at 0.5), so Prune Model… is Enter, Enter, Enter, then
// Output format… → Keras HDF5 and Start. The panel opens beside model.json; with the side bar
// closed it is about 326 px wide, and its Layers table must still show each layer's params, the
// non-zero params after pruning and the change, inside the panel, with the saved report's numbers.
// Screenshot: test-results/panel-half.png (docs/screenshot-panel-half.png when asked for, below).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/code-server.mjs';
import { explorerContextMenu, findWebviewFrame, makeWorkspace, openWorkbench, runCommand, screenshot, tfjsModels } from './workbench.mjs';
import { newestRun } from './report-checks.mjs';

const WINDOW = { width: 700, height: 760 };
const docsShot = path.join(repoRoot, 'docs', 'screenshot-panel-half.png');

/** Walks the flow: every step's default, except Output format… → Keras HDF5 on the last step. */
async function pruneToKerasH5(page) {
  const quickInput = page.locator('.quick-input-widget');
  const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'Pruning' }).first();
  const seen = [];
  let formatPicked = false;
  let lastStep = '';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !(await progress.isVisible())) {
    if (!(await quickInput.isVisible())) {
      await page.waitForTimeout(300);
      continue;
    }
    const shown = await quickInput.innerText();
    seen.push(shown.split('\n').slice(0, 3).join(' | '));
    if (/Start pruning/.test(shown)) {
      lastStep = shown;
      if (!formatPicked) await quickInput.locator('.monaco-list-row', { hasText: 'Output format' }).first().click();
      else await page.keyboard.press('Enter');
    } else if (/TF\.js layers/.test(shown) && /Keras HDF5/.test(shown)) {
      await quickInput.locator('.monaco-list-row', { hasText: 'Keras HDF5' }).first().click();
      formatPicked = true;
    } else {
      await page.keyboard.press('Enter');
    }
    await page.waitForTimeout(700);
  }
  const started = await progress.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false);
  return { started, seen, lastStep };
}

/** In the panel's frame: where a cell is against the panel's own viewport, and whether the table scrolls sideways. */
function placement(selectors) {
  const boxes = Object.fromEntries(selectors.map((s) => {
    const el = document.querySelector(s);
    if (!el) return [s, null];
    const r = el.getBoundingClientRect();
    return [s, { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, text: el.textContent.trim(), visible: getComputedStyle(el).visibility !== 'hidden' && r.width > 0 }];
  }));
  const scroller = document.querySelector('.table-scroll');
  return { width: window.innerWidth, height: window.innerHeight, boxes, tableScrolls: scroller ? scroller.scrollWidth > scroller.clientWidth : null, pageScrolls: document.documentElement.scrollWidth > window.innerWidth, columns: document.querySelector('[data-testid="layer-table"]')?.dataset.columns ?? '' };
}

test('half of a 700 px window: the Layers table keeps layer, params, after and Δ in view', { timeout: 240_000 }, async () => {
  const started = Date.now();
  const workspace = makeWorkspace();
  const model = tfjsModels(workspace.dir).find((m) => m.name === 'fashion-vgg');
  assert.ok(model, 'the example workspace has no fashion-vgg/model.json');
  fs.mkdirSync(path.join(workspace.dir, '.quench'), { recursive: true });
  fs.writeFileSync(path.join(workspace.dir, '.quench', 'models.json'), JSON.stringify({ [model.file.split(path.sep).join('/')]: { data: 'data', method: 'magnitude', sparsity: 0.5 } }, null, 2));
  const workbench = await openWorkbench({ workspace: workspace.dir, extensionDir: repoRoot, settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
  const { page } = workbench;
  try {
    await page.setViewportSize(WINDOW);
    await explorerContextMenu(page, { folder: model.name, file: /^model\.json$/, itemText: 'Prune Model', open: true });
    const flow = await pruneToKerasH5(page);
    assert.ok(flow.started, `no progress notification after the quick-pick steps (screenshot: ${await screenshot(page, 'panel-half-flow')}):\n${flow.seen.join('\n')}`);
    assert.match(flow.lastStep, /Keras HDF5/, 'the last step shows the chosen format');
    assert.match(flow.lastStep, /model\.pruned\.h5/, 'and the output moved to the .h5 beside the original');

    const panel = await findWebviewFrame(page, () => !!document.querySelector('[data-testid="params"]') && document.body.innerText.includes('prune'), undefined, 150_000);
    assert.ok(panel, `no report panel (screenshot: ${await screenshot(page, 'panel-half-no-panel')}); console errors:\n${workbench.consoleErrors.slice(-10).join('\n')}`);
    const { report } = newestRun(path.join(workspace.dir, '.quench', 'runs'), 'prune');
    assert.equal(report.output?.format, 'keras-h5');
    assert.equal(report.output.path, path.join(workspace.dir, 'fashion-vgg', 'model.pruned.h5'));
    assert.ok(fs.existsSync(report.output.path), 'the pruned .h5 was written');
    const remembered = JSON.parse(fs.readFileSync(path.join(workspace.dir, '.quench', 'models.json'), 'utf8'))['fashion-vgg/model.json'];
    assert.deepEqual({ method: remembered.method, sparsity: remembered.sparsity, format: remembered.format, structured: remembered.structured, data: remembered.data }, { method: 'magnitude', sparsity: 0.5, format: 'keras-h5', structured: false, data: 'data' });

    // The panel beside model.json gets half of the window: side bar closed, groups evened.
    const groups = page.locator('.part.editor .editor-group-container');
    assert.equal(await groups.count(), 2, 'the panel opens in a second editor group');
    await runCommand(page, 'View: Close Primary Side Bar');
    await runCommand(page, 'View: Reset Editor Group Sizes');
    await panel.locator('vscode-tab-header[data-tab="layers"]').click();
    await panel.locator('[data-testid="layer-table"]').waitFor({ state: 'visible', timeout: 15_000 });
    const targeted = report.layers.filter((l) => l.targeted);
    assert.ok(targeted.length > 0, 'magnitude pruned some layers');
    const cells = ['th[data-col="name"]', 'th[data-col="params"]', 'th[data-col="after"]', 'th[data-col="delta"]',
      ...targeted.flatMap((l) => ['after', 'delta'].map((c) => `tr[data-layer="${l.name}"] td[data-col="${c}"]`))];
    // The table refits 100 ms after the panel's last resize.
    await panel.waitForFunction((w) => window.innerWidth < w && document.querySelector('[data-testid="layer-table"]')?.dataset.shape?.startsWith('compact'), WINDOW.width * 0.6, { timeout: 15_000 }).catch(() => {});
    await page.waitForTimeout(400);
    const at = await panel.evaluate(placement, cells);
    const shot = await screenshot(page, 'panel-half');
    const detail = `(screenshot: ${shot}) ${JSON.stringify(at)}`;
    assert.ok(at.width >= WINDOW.width * 0.4 && at.width <= WINDOW.width * 0.55, `the panel is about half of the window: ${at.width} px ${detail}`);
    for (const s of cells) {
      const box = at.boxes[s];
      assert.ok(box?.visible, `${s} is shown ${detail}`);
      assert.ok(box.left >= 0 && box.right <= at.width + 0.5, `${s} lies inside the panel (${box.left}..${box.right} of ${at.width} px) ${detail}`);
    }
    assert.equal(at.tableScrolls, false, `the table fits without scrolling sideways ${detail}`);
    assert.equal(at.pageScrolls, false, `the page does not scroll sideways ${detail}`);
    assert.ok(!at.columns.split(',').includes('sparsityBefore'), `every layer was dense before pruning: no "Sparsity before" column (${at.columns})`);

    // The figures are the saved report's: non-zero weights after, and their change.
    for (const l of targeted) {
      const before = l.before.params - l.before.zeros;
      const after = l.after.params - l.after.zeros;
      const change = Number(((after / before - 1) * 100).toFixed(1));
      assert.equal(at.boxes[`tr[data-layer="${l.name}"] td[data-col="after"]`].text, after.toLocaleString('en-US'), `${l.name} after`);
      assert.equal(at.boxes[`tr[data-layer="${l.name}"] td[data-col="delta"]`].text, `${change < 0 ? '−' : '+'}${Math.abs(change).toFixed(1)}%`, `${l.name} Δ`);
    }

    // And from the workbench's side: the Δ header is inside the second editor group and the window.
    const groupBox = await groups.nth(1).boundingBox();
    for (const col of ['after', 'delta']) {
      const box = await panel.locator(`th[data-col="${col}"]`).boundingBox();
      assert.ok(box && groupBox, `${col} header and the panel's group have boxes`);
      assert.ok(box.x >= groupBox.x && box.x + box.width <= groupBox.x + groupBox.width + 0.5 && box.x + box.width <= WINDOW.width, `the ${col} header (${box.x}+${box.width}) lies in the panel's group (${groupBox.x}+${groupBox.width}) ${detail}`);
    }
    if (process.env.QUENCH_UPDATE_SCREENSHOT === '1' || !fs.existsSync(docsShot)) fs.copyFileSync(shot, docsShot);
    console.log(`panel-half: ${at.width} px panel, columns ${at.columns}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await workbench.close();
    workspace.cleanup();
  }
});
