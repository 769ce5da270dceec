// The example's Keras source next to its numbers. examples/fashion-vgg/model.py builds the example
// model and saves it (fashion-vgg.keras, fashion-vgg.h5, and model.json through tensorflowjs), so
// Quench links its layer constructors to those files. Opened before any run, the conv5, conv6 and
// output constructor lines carry a lens with the layer's parameter count (counted here from the
// weights manifest); after a prune of model.json (a remembered choice in .quench/models.json: the
// example's data, magnitude at 0.5; each step of the Prune flow keeps its default), the same lines
// show the sparsity and top-1 change of the saved report. Screenshots:
// test-results/source-lenses-before.png and source-lenses-after.png.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/code-server.mjs';
import { explorerContextMenu, makeWorkspace, openWorkbench, screenshot, tfjsModels } from './workbench.mjs';
import { newestRun } from './report-checks.mjs';

const LAYERS = ['conv5', 'conv6', 'output'];
const int = (n) => Math.round(n).toLocaleString('en-US');
/** As the lens writes them: whole percent from 10% up, signed points with one decimal. */
const percent = (f) => `${(f * 100).toFixed(f >= 0.1 ? 0 : 1)}%`;
const points = (d) => {
  const pp = d * 100;
  return `${pp > 0.005 ? '+' : pp < -0.005 ? '−' : '±'}${Math.abs(pp).toFixed(1)} pp`;
};

/** Parameters per layer from a model.json's weights manifest ("conv5/kernel" → conv5). */
function manifestParams(file) {
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  const params = {};
  for (const w of manifest.weightsManifest.flatMap((group) => group.weights)) {
    const layer = w.name.split('/')[0];
    params[layer] = (params[layer] ?? 0) + w.shape.reduce((a, b) => a * b, 1);
  }
  return params;
}

/** 1-based line of the constructor that names `layer` in the source. */
function constructorLine(source, layer) {
  const index = source.split('\n').findIndex((line) => line.includes(`name="${layer}"`) && /layers\.\w+\(/.test(line));
  assert.ok(index >= 0, `model.py constructs ${layer}`);
  return index + 1;
}

/** Explorer: expand `folder` and open its `file` in the editor. */
async function openFromExplorer(page, folder, file) {
  const rows = page.locator('.explorer-folders-view .monaco-list-row');
  const target = rows.filter({ hasText: file }).first();
  if (!(await target.isVisible())) await rows.filter({ hasText: folder }).first().click();
  await target.waitFor({ state: 'visible', timeout: 15_000 });
  await target.click();
  await page.locator('.tabs-container .tab.active', { hasText: file }).first().waitFor({ state: 'visible', timeout: 15_000 });
}

/**
 * Scrolls `line` of the active editor into view (Go to Line…) and reads, in the DOM, the lens whose
 * title starts with `layer ·` and the rendered line that names the layer: the lens must sit right
 * above that line. Lenses arrive a little after the editor paints, and are redrawn when the
 * workspace's runs change, so this waits for `accept(title)`.
 */
async function lensAbove(page, layer, line, accept, timeoutMs = 60_000) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  const deadline = Date.now() + timeoutMs;
  let found = null;
  while (Date.now() < deadline) {
    found = await page.evaluate((name) => {
      const editor = document.querySelector('.editor-group-container.active .monaco-editor') ?? document.querySelector('.monaco-editor');
      if (!editor) return null;
      const lens = [...editor.querySelectorAll('.codelens-decoration')].find((el) => el.textContent.trim().startsWith(`${name} ·`));
      const row = [...editor.querySelectorAll('.view-lines .view-line')].find((el) => el.textContent.includes(`name="${name}"`));
      if (!lens || !row) return { title: lens?.textContent.trim() ?? null, line: !!row };
      const a = lens.getBoundingClientRect();
      const b = row.getBoundingClientRect();
      return { title: lens.textContent.trim(), line: true, lensBottom: a.bottom, lensTop: a.top, lineTop: b.top, lineHeight: b.height };
    }, layer);
    if (found?.title && found.line && accept(found.title)) return found;
    await page.waitForTimeout(500);
  }
  return found;
}

test('model.py: lenses on the conv5, conv6 and output lines show parameters, then the pruned sparsity of the saved report', { timeout: 300_000 }, async () => {
  const started = Date.now();
  const workspace = makeWorkspace();
  const model = tfjsModels(workspace.dir).find((m) => m.name === 'fashion-vgg');
  assert.ok(model, 'the example workspace has no fashion-vgg/model.json');
  const sourceFile = path.join(workspace.dir, 'fashion-vgg', 'model.py');
  assert.ok(fs.existsSync(sourceFile), 'the example has its Keras source, fashion-vgg/model.py');
  const source = fs.readFileSync(sourceFile, 'utf8');
  const lines = Object.fromEntries(LAYERS.map((l) => [l, constructorLine(source, l)]));
  const params = manifestParams(path.join(workspace.dir, model.file));
  fs.mkdirSync(path.join(workspace.dir, '.quench'), { recursive: true });
  fs.writeFileSync(path.join(workspace.dir, '.quench', 'models.json'), JSON.stringify({ [model.file.split(path.sep).join('/')]: { data: 'data', method: 'magnitude', sparsity: 0.5 } }, null, 2));
  const runsDir = path.join(workspace.dir, '.quench', 'runs');

  const workbench = await openWorkbench({ workspace: workspace.dir, extensionDir: repoRoot, settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
  const { page } = workbench;
  try {
    // Before any run: parameters only.
    await openFromExplorer(page, 'fashion-vgg', 'model.py');
    for (const layer of LAYERS) {
      const expected = `${layer} · ${int(params[layer])} params`;
      const seen = await lensAbove(page, layer, lines[layer], (title) => title === expected, 90_000);
      const detail = `(screenshot: ${await screenshot(page, 'source-lenses-before')}) ${JSON.stringify(seen)}; console errors:\n${workbench.consoleErrors.slice(-5).join('\n')}`;
      assert.equal(seen?.title, expected, `before the prune, line ${lines[layer]} (${layer}) reads its parameters ${detail}`);
      assert.ok(seen.lensBottom <= seen.lineTop + 1 && seen.lineTop - seen.lensBottom < seen.lineHeight, `the ${layer} lens sits right above its constructor line ${detail}`);
    }
    await screenshot(page, 'source-lenses-before');

    // Prune model.json with the remembered choice: every step of the flow keeps its default.
    // explorerContextMenu expands the folder with a click: fold it first (model.py's opening unfolded it).
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: model.name }).first().click();
    await explorerContextMenu(page, { folder: model.name, file: /^model\.json$/, itemText: 'Prune Model' });
    const flow = await acceptEveryStep(page);
    assert.ok(flow.started, `no progress notification after the Prune steps (screenshot: ${await screenshot(page, 'source-lenses-flow')}):\n${flow.seen.join('\n')}`);
    const report = await waitForReport(runsDir, 180_000);
    assert.ok(report, `no prune report in ${runsDir} (screenshot: ${await screenshot(page, 'source-lenses-no-report')})`);
    assert.equal(report.method, 'magnitude', 'the remembered method ran');

    // Back in model.py: the same lines now carry the report's numbers.
    await openFromExplorer(page, 'fashion-vgg', 'model.py');
    const delta = points(report.accuracy.after.top1 - report.accuracy.before.top1);
    for (const layer of LAYERS) {
      const row = report.layers.find((l) => l.name === layer);
      assert.ok(row?.targeted && row.after.sparsity > row.before.sparsity, `the prune targeted ${layer}: ${JSON.stringify(row?.after)}`);
      const expected = `${layer} · ${int(row.before.params)} params · ${percent(row.after.sparsity)} pruned · ${delta}`;
      const seen = await lensAbove(page, layer, lines[layer], (title) => title === expected, 60_000);
      const detail = `(screenshot: ${await screenshot(page, 'source-lenses-after')}) ${JSON.stringify(seen)}`;
      assert.equal(seen?.title, expected, `after the prune, line ${lines[layer]} (${layer}) reads the report's sparsity and top-1 change ${detail}`);
      assert.ok(seen.lensBottom <= seen.lineTop + 1 && seen.lineTop - seen.lensBottom < seen.lineHeight, `the ${layer} lens sits right above its constructor line ${detail}`);
    }
    await screenshot(page, 'source-lenses-after');
    console.log(`source-lenses: ${LAYERS.map((l) => `${l} line ${lines[l]}`).join(', ')}; flow ${flow.seen.length} steps; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await workbench.close();
    workspace.cleanup();
  }
});

/**
 * Prune Model…'s steps, whatever they are: each shows a quick pick whose default item (the
 * remembered choice, or Start on the summary step) Enter accepts. Returns the titles seen and whether
 * the job's progress notification showed.
 */
async function acceptEveryStep(page, timeoutMs = 60_000) {
  const quickInput = page.locator('.quick-input-widget');
  const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'Pruning' }).first();
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !(await progress.isVisible())) {
    if (!(await quickInput.isVisible())) {
      await page.waitForTimeout(300);
      continue;
    }
    seen.push((await quickInput.innerText()).split('\n').slice(0, 3).join(' | '));
    await page.keyboard.press('Enter');
    await page.waitForTimeout(700);
  }
  const started = await progress.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false);
  return { started, seen };
}

/** The prune report once the job has written it. */
async function waitForReport(runsDir, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      return newestRun(runsDir, 'prune').report;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return undefined;
}
