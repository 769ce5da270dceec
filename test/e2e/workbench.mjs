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

/** Starts code-server + Chromium on a workspace; `close()` stops both, also after a failure. */
export async function openWorkbench({ workspace, extensionDir, vsix }) {
  const server = await startCodeServer({ workspace, extensionDir, vsix });
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

/** Labels of the Quench commands the palette offers. */
export async function paletteCommands(page, prefix) {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${prefix}`);
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name');
  await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
  const labels = await rows.allTextContents();
  await page.keyboard.press('Escape');
  return labels;
}

/**
 * The frame that holds a webview's own document. VS Code nests it: workbench → webview host
 * iframe → active frame. Returns the first frame whose body satisfies `ready` within the timeout.
 */
export async function findWebviewFrame(page, ready, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || !frame.parentFrame() || frame.parentFrame() === page.mainFrame()) continue;
      const ok = await frame.evaluate(ready).catch(() => false);
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
