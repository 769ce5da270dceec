// Helpers of the prune-to-panel test: the quick-pick flow as a person walks it, the saved report,
// the figures a person should read in the panel, and whether a canvas holds a picture.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Walks Prune Model…'s steps as a person does: the first question (the budget) takes `budget` —
 * 'fixed' picks "A fixed sparsity or threshold…", anything else keeps the default (Enter); the
 * evaluation-data step picks "Choose a folder…" and types `dataDir` into the workbench's file
 * dialog; every other step keeps its default (Enter; the last one starts). Returns the steps seen,
 * the last step's text and whether the job's progress notification showed.
 */
export async function acceptPruneDefaults(page, { dataDir, budget = 'default', timeoutMs = 120_000 }) {
  const quickInput = page.locator('.quick-input-widget');
  const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'Pruning' }).first();
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  let typedFolder = false;
  let lastStep = '';
  while (Date.now() < deadline && !(await progress.isVisible())) {
    if (!(await quickInput.isVisible())) {
      await page.waitForTimeout(500);
      continue;
    }
    const shown = await quickInput.innerText();
    const step = shown.match(/\((\d)\/\d\)/)?.[1];
    seen.push(`step ${step ?? '?'}: ${shown.split('\n').slice(0, 4).join(' | ')}`);
    if (/Use as Evaluation Data/.test(shown)) {
      // The workbench's own folder dialog: type the folder, then its OK button accepts it.
      if (!typedFolder) {
        await quickInput.locator('input').first().fill(`${dataDir}${path.sep}`);
        typedFolder = true;
        await page.waitForTimeout(800);
      }
      await quickInput.locator('.monaco-button', { hasText: 'Use as Evaluation Data' }).first().click();
    } else if (/A fixed sparsity or threshold/.test(shown) && budget === 'fixed') {
      await quickInput.locator('.monaco-list-row', { hasText: 'A fixed sparsity or threshold' }).first().click();
    } else if (/Choose a folder/.test(shown) && !typedFolder) {
      await quickInput.locator('.monaco-list-row', { hasText: 'Choose a folder' }).first().click();
    } else {
      if (/Start pruning/.test(shown)) lastStep = shown;
      await page.keyboard.press('Enter');
    }
    await page.waitForTimeout(1200);
  }
  const progressShown = await progress.waitFor({ state: 'visible', timeout: 30_000 }).then(() => true, () => false);
  return { seen, lastStep, progressShown };
}

/** The newest `<timestamp>-<kind>-<model>.json` report in a .quench/runs/ folder. */
export function newestRun(runsDir, kind) {
  const names = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((n) => n.endsWith('.json') && n.includes(`-${kind}-`)).sort() : [];
  if (names.length === 0) throw new Error(`no ${kind} report in ${runsDir}`);
  const file = path.join(runsDir, names.at(-1));
  return { file, report: JSON.parse(fs.readFileSync(file, 'utf8')) };
}

/** What the overview's cards must read for a prune report (en-US grouping, one-decimal percent, signed points). */
export function expectedCards(report) {
  const int = (n) => Math.round(n).toLocaleString('en-US');
  const pct = (f) => `${(f * 100).toFixed(1)}%`;
  const delta = Number(((report.accuracy.after.top1 - report.accuracy.before.top1) * 100).toFixed(2));
  return {
    paramsBefore: int(report.totals.before.params),
    paramsAfter: int(report.totals.after.params),
    sparsityBefore: pct(report.totals.before.sparsity),
    sparsityAfter: pct(report.totals.after.sparsity),
    targeted: pct(report.targetedSparsity),
    top1Delta: `${delta > 0 ? '+' : delta < 0 ? '−' : '±'}${Math.abs(delta).toFixed(2)} pp`,
  };
}

/** Size, distinct colours and non-background pixels of a canvas in a webview frame. */
export function canvasInk(frame, selector) {
  return frame.evaluate((sel) => {
    const canvas = document.querySelector(sel);
    if (!(canvas instanceof HTMLCanvasElement) || canvas.width === 0 || canvas.height === 0) return { width: 0, height: 0, colours: 0, inked: 0 };
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // The most frequent colour is the background (or transparent); everything else is ink.
    let background = 0;
    for (const n of counts.values()) background = Math.max(background, n);
    return { width: canvas.width, height: canvas.height, colours: counts.size, inked: data.length / 4 - background };
  }, selector);
}
