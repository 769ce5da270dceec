// A person's path through the real UI: open the workspace in VS Code (code-server), run a Quench
// command from the palette, see the panel render, keep a screenshot.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/code-server.mjs';
import { findWebviewFrame, makeWorkspace, openWorkbench, paletteCommands, runCommand, screenshot, tfjsModels } from './workbench.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const paletteTitle = (id) => {
  const command = manifest.contributes.commands.find((c) => c.command === id);
  assert.ok(command, `package.json contributes no command ${id}`);
  return `${command.category}: ${command.title}`;
};

test('palette → Quench: Inspect Model → the report panel shows the model', { timeout: 300_000 }, async () => {
  const workspace = makeWorkspace();
  const workbench = await openWorkbench({ workspace: workspace.dir, extensionDir: repoRoot });
  const { page } = workbench;
  try {
    const offered = await paletteCommands(page, 'Quench:');
    for (const id of ['quench.inspectModel', 'quench.pruneModel', 'quench.showReport']) {
      assert.ok(offered.includes(paletteTitle(id)), `palette lacks ${paletteTitle(id)}; offered: ${offered.join(', ')}`);
    }

    const [model] = tfjsModels(workspace.dir);
    assert.ok(model, 'the e2e workspace holds no TF.js model');
    await runCommand(page, paletteTitle('quench.inspectModel'));
    // From the palette the command asks which model (rows show the path relative to the workspace).
    const pick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: model.file }).first();
    await pick.waitFor({ state: 'visible', timeout: 30_000 });
    await pick.click();

    // The overview names the model and its parameter count (counted here from the weights manifest).
    const expected = { name: model.name, params: model.params.toLocaleString('en-US') };
    const panel = await findWebviewFrame(page, ({ name, params }) => {
      const text = document.body?.innerText ?? '';
      return text.includes(name) && text.includes(params);
    }, expected, 120_000);
    const shot = await screenshot(page, 'panel-inspect');
    assert.ok(panel, `no webview showed ${model.name} with ${expected.params} parameters (screenshot: ${shot}); console errors:\n${workbench.consoleErrors.slice(-10).join('\n')}`);

    // The Layers tab lists every weighted layer of the model.
    await panel.getByText('Layers', { exact: true }).first().click();
    const layerNames = JSON.parse(fs.readFileSync(path.join(workspace.dir, model.file), 'utf8'))
      .weightsManifest.flatMap((g) => g.weights).map((w) => w.name.split('/')[0]);
    for (const layer of new Set(layerNames)) {
      await panel.getByText(new RegExp(`(^|\\s)${layer}(\\s|$)`)).first().waitFor({ state: 'visible', timeout: 15_000 });
    }
    await screenshot(page, 'panel-inspect-layers');
  } finally {
    await workbench.close();
    workspace.cleanup();
  }
});
