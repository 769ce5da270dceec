// The first-run walkthrough in package.json: every step has its page, and every command it links
// to or waits for is one Quench contributes (or the workbench's own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string };
  completionEvents?: string[];
}

test('the walkthrough goes example → inspect → prune → report → pruned model, each step with a page and a button', () => {
  const [walkthrough] = manifest.contributes.walkthroughs as { id: string; steps: Step[] }[];
  assert.equal(walkthrough.id, 'quench.gettingStarted');
  assert.deepEqual(walkthrough.steps.map((s) => s.id), ['openExample', 'inspect', 'prune', 'report', 'openPruned']);
  const quenchCommands = new Set((manifest.contributes.commands as { command: string }[]).map((c) => c.command));
  const views = new Set(Object.values(manifest.contributes.views as Record<string, { id: string }[]>).flat().map((v) => `${v.id}.focus`));
  for (const step of walkthrough.steps) {
    const page = step.media.markdown;
    assert.ok(page && fs.existsSync(path.join(repoRoot, page)), `${step.id}: its markdown page ${page} exists`);
    assert.match(fs.readFileSync(path.join(repoRoot, page), 'utf8'), /^# \S/, `${step.id}: the page has a title`);
    const links = [...step.description.matchAll(/\]\(command:([\w.]+)/g)].map((m) => m[1]);
    assert.ok(links.length > 0, `${step.id}: a command button`);
    for (const command of [...links, ...(step.completionEvents ?? []).map((e) => e.replace(/^onCommand:/, ''))]) {
      if (command.startsWith('quench.')) assert.ok(quenchCommands.has(command) || views.has(command), `${step.id}: ${command} is contributed`);
      else assert.match(command, /^workbench\./, `${step.id}: ${command} is the workbench's`);
    }
  }
  assert.deepEqual(walkthrough.steps.slice(0, 4).map((s) => s.completionEvents), [
    ['onCommand:quench.openExample'], ['onCommand:quench.inspectModel'], ['onCommand:quench.pruneModel'], ['onCommand:quench.showReport'],
  ]);
});
