// The first-run walkthrough as a person meets it: palette → Welcome: Open Walkthrough… → Get
// Started with Quench → five steps in order; a step's page renders; its button runs the command
// (Open Example Workspace asks where to open it) and the step is ticked off (onCommand).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { repoRoot } from '../../scripts/code-server.mjs';
import { makeWorkspace, openWorkbench, runCommand, screenshot } from './workbench.mjs';

const STEPS = ['Open the example workspace', 'Inspect a model', 'Prune within 0.5 pp', 'Read the report', 'Open the pruned model'];

test('Welcome: Open Walkthrough… → Get Started with Quench: five steps, a page each, buttons that run Quench', { timeout: 180_000 }, async () => {
  const workspace = makeWorkspace();
  const workbench = await openWorkbench({ workspace: workspace.dir, extensionDir: repoRoot });
  const { page } = workbench;
  try {
    await runCommand(page, 'Welcome: Open Walkthrough...');
    const quickInput = page.locator('.quick-input-widget');
    const entry = quickInput.locator('.monaco-list-row', { hasText: 'Get Started with Quench' }).first();
    await entry.waitFor({ state: 'visible', timeout: 30_000 });
    await entry.click();
    const steps = page.locator('.gettingStartedContainer .getting-started-step');
    await steps.first().waitFor({ state: 'visible', timeout: 30_000 });
    const titles = (await steps.locator('.step-title').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(titles, STEPS, `the walkthrough's steps (screenshot: ${await screenshot(page, 'walkthrough')})`);
    // The first step is expanded: its page is the markdown of media/walkthrough/open-example.md.
    const button = page.locator('.getting-started-step.expanded .monaco-button', { hasText: 'Open Example Workspace' }).first();
    await button.waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot(page, 'walkthrough');
    const first = page.locator('.getting-started-step', { hasText: STEPS[0] });
    assert.equal(await first.locator('.codicon-getting-started-step-checked').count(), 0, 'the step starts unticked');
    await button.click();
    const pick = quickInput.locator('.monaco-list-row', { hasText: 'Open in New Window' }).first();
    assert.ok(await pick.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false), 'the button ran Quench: Open Example Workspace');
    await page.keyboard.press('Escape');
    const done = first.locator('.codicon-getting-started-step-checked');
    assert.ok(await done.first().waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false), `running the command ticked the step off (screenshot: ${await screenshot(page, 'walkthrough-done')})`);
  } finally {
    await workbench.close();
    workspace.cleanup();
  }
});
