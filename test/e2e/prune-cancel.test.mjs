// A person's path to a job and back out of it: right-click a model in the Explorer → Quench: Prune
// Model…, accept the defaults of the quick-pick flow (the recommended budget, top-1 within 0.5 pp;
// the test set typed into the file dialog), see the progress notification, press its
// Cancel, and find the workspace as it was: no pruned model, the original untouched.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/code-server.mjs';
import { explorerContextMenu, makeWorkspace, openWorkbench, screenshot, tfjsModels } from './workbench.mjs';

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('Explorer context menu → Prune Model… → Cancel in the notification leaves no output behind', { timeout: 300_000 }, async () => {
  const workspace = makeWorkspace();
  const [model] = tfjsModels(workspace.dir);
  assert.ok(model, 'the e2e workspace holds no TF.js model');
  const modelDir = path.join(workspace.dir, path.dirname(model.file));
  const dataFile = path.join(workspace.dir, 'data', 't10k-images-idx3-ubyte.gz');
  assert.ok(fs.existsSync(dataFile), `${dataFile} is missing from the example workspace`);
  const before = Object.fromEntries(fs.readdirSync(modelDir).map((f) => [f, sha256(path.join(modelDir, f))]));
  const workbench = await openWorkbench({ workspace: workspace.dir, extensionDir: repoRoot });
  const { page } = workbench;
  try {
    await explorerContextMenu(page, { folder: model.name, file: /^model\.json$/, itemText: 'Prune Model' });

    // Accept each step's default until the job starts and its progress notification shows.
    const quickInput = page.locator('.quick-input-widget');
    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'Pruning' }).first();
    const steps = [];
    for (let step = 0; step < 12 && !(await progress.isVisible()); step++) {
      if (await quickInput.isVisible()) {
        const shown = await quickInput.innerText();
        steps.push(shown.split('\n').slice(0, 3).join(' | '));
        // The workbench's own file dialog (data step): type the example test set's path.
        if (/Use as Evaluation Data/.test(shown)) await quickInput.locator('input').first().fill(dataFile);
        await page.keyboard.press('Enter');
      }
      await page.waitForTimeout(1500);
    }
    const started = await progress.waitFor({ state: 'visible', timeout: 30_000 }).then(() => true, () => false);
    const shot = await screenshot(page, 'prune-started');
    assert.ok(started, `no progress notification after the quick-pick steps:\n${steps.join('\n')}\n(screenshot: ${shot})`);
    await page.waitForTimeout(2000); // let the engine start the job
    await screenshot(page, 'prune-running');

    await progress.getByRole('button', { name: 'Cancel' }).click();
    await progress.waitFor({ state: 'hidden', timeout: 60_000 });
    await screenshot(page, 'prune-cancelled');

    const pruned = tfjsModels(workspace.dir).filter((m) => m.file !== model.file);
    assert.deepEqual(pruned, [], 'a cancelled prune left a model behind');
    const after = Object.fromEntries(fs.readdirSync(modelDir).map((f) => [f, sha256(path.join(modelDir, f))]));
    assert.deepEqual(after, before, 'the original model folder changed');
  } finally {
    await workbench.close();
    workspace.cleanup();
  }
});
