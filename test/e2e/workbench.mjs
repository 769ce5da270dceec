// Helpers that drive the VS Code workbench (code-server in headless Chromium) the way a person
// does: keyboard, command palette, visible text. Selectors are VS Code 1.100's DOM classes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchChromium, repoRoot, startCodeServer, tail } from '../../scripts/code-server.mjs';

export const resultsDir = path.join(repoRoot, 'test-results');
export const publicFixtures = path.resolve(repoRoot, '../shared/fixtures/public');

const MODEL_FILE = /(^model\.json$|\.h5$|\.keras$)/;
function containsModel(dir) {
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).some((e) => e.isFile() && MODEL_FILE.test(e.name));
}

/**
 * A throw-away copy of the example workspace (the extension writes `.quench/` state into the
 * workspace, which must not dirty the repository); when examples/ holds no model yet, a workspace
 * with one real third-party TF.js model from the shared fixtures.
 */
export function makeWorkspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-e2e-workspace-'));
  const examples = path.join(repoRoot, 'examples');
  if (containsModel(examples)) {
    fs.cpSync(examples, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.quench`) });
  } else {
    fs.cpSync(path.join(publicFixtures, 'mnist-tfjs-small'), path.join(dir, 'mnist-tfjs-small'), { recursive: true });
  }
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The TF.js layers models in a workspace, by path, with their parameter count from the weights manifest. */
export function tfjsModels(dir) {
  return fs.readdirSync(dir, { recursive: true })
    .filter((f) => path.basename(f) === 'model.json' && !f.split(path.sep).includes('.quench'))
    .sort()
    .map((f) => {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      const params = manifest.weightsManifest.flatMap((group) => group.weights)
        .reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
      return { file: f, name: path.basename(path.dirname(f)), params };
    });
}

/** Starts code-server + Chromium on a workspace; `close()` stops both, also after a failure. */
export async function openWorkbench({ workspace, extensionDir, vsix, settings }) {
  const server = await startCodeServer({ workspace, extensionDir, vsix, settings });
  const consoleErrors = [];
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(server.folderUrl(workspace));
    await page.waitForSelector('.monaco-workbench .part.editor', { timeout: 90_000 });
    await page.waitForSelector('.monaco-workbench .explorer-folders-view .monaco-list-row', { timeout: 90_000 });
    const close = async () => {
      await browser.close().catch(() => {});
      await server.stop();
    };
    return { page, server, consoleErrors, close };
  } catch (error) {
    await browser?.close().catch(() => {});
    await server.stop();
    throw error;
  }
}

/** Command palette → the command whose label is exactly `title` → Enter. */
export async function runCommand(page, title) {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
}

/**
 * Explorer: expands `folder`, right-clicks its `file` row and clicks the context-menu item
 * `itemText`. Quench's items show once discovery has listed the file (context key
 * quench.modelFiles), so the menu is reopened until the item appears. `open` first opens the file
 * in the editor (a left click), so what follows has an editor to sit beside.
 */
export async function explorerContextMenu(page, { folder, file, itemText, open = false, timeoutMs = 90_000 }) {
  const explorer = page.locator('.explorer-folders-view .monaco-list-row');
  await explorer.filter({ hasText: folder }).first().click();
  const row = explorer.filter({ hasText: file }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  if (open) await row.click();
  const item = page.locator('.monaco-menu .action-item', { hasText: itemText }).first();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await row.click({ button: 'right' });
    if (await item.waitFor({ state: 'visible', timeout: 2000 }).then(() => true, () => false)) break;
    await page.keyboard.press('Escape');
    await page.waitForTimeout(2000);
  }
  await item.click({ timeout: 5000 });
  // A click that lands while the menu is still settling leaves it open with the item highlighted.
  const menu = page.locator('.monaco-menu').first();
  if (await menu.waitFor({ state: 'hidden', timeout: 2000 }).then(() => false, () => true)) {
    await item.hover();
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden', timeout: 5000 });
  }
}

/** Palette → Preferences: Color Theme → the theme labelled `label`; resolves once the workbench shows it. */
export async function setColorTheme(page, label, workbenchClass) {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(label);
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
  await page.locator(`.monaco-workbench.${workbenchClass}`).waitFor({ state: 'attached', timeout: 15_000 });
}

/**
 * Labels of the palette commands starting with `prefix`. Extension contributions register a little
 * after the workbench paints, so the palette is re-queried until they show or the timeout passes.
 */
export async function paletteCommands(page, prefix, timeoutMs = 60_000) {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name');
  const deadline = Date.now() + timeoutMs;
  let labels = [];
  while (Date.now() < deadline) {
    await input.fill('>');
    await input.fill(`>${prefix}`);
    await page.waitForTimeout(500);
    labels = (await rows.allTextContents()).filter((label) => label.startsWith(prefix));
    if (labels.length) break;
    await page.waitForTimeout(1000);
  }
  await page.keyboard.press('Escape');
  return labels;
}

/**
 * The frame that holds a webview's own document. VS Code nests it: workbench → webview host
 * iframe → active frame. Returns the first frame where `ready(arg)` holds within the timeout.
 */
export async function findWebviewFrame(page, ready, arg, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || !frame.parentFrame() || frame.parentFrame() === page.mainFrame()) continue;
      const ok = await frame.evaluate(ready, arg).catch(() => false);
      if (ok) return frame;
    }
    await page.waitForTimeout(500);
  }
  return null;
}

export async function screenshot(page, name) {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export { tail };
