// The extension-host suite: Mocha (BDD) run programmatically inside a real VS Code extension host
// (code-server via scripts/run-integration.mjs, or @vscode/test-electron). Results go to
// $QUENCH_TEST_RESULTS, else <extension>/test-results/integration.json, as { passed, failed, skipped, failures }.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { activationTests } from './activation.test';
import { commandTests } from './commands.test';
import { discoveryTests } from './discovery.test';
import { editorTests } from './editor.test';
import { installBackendTests } from './installBackend.test';
import { jobTests } from './jobs.test';
import { normalisationTests } from './normalisation.test';
import { untrustedTests } from './untrusted.test';
import { whenClauseTests } from './whenClauses.test';
import { restoreWorkspace, snapshotQuenchState } from './helpers';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, color: false });
  // The test files are bundled with this one, so they register against Mocha's globals here.
  mocha.suite.emit('pre-require', globalThis, 'quench-integration', mocha);
  const state = snapshotQuenchState();
  after(() => restoreWorkspace(state));
  for (const register of [activationTests, whenClauseTests, discoveryTests, commandTests, editorTests, jobTests, normalisationTests, untrustedTests, installBackendTests]) register();

  const failures: { title: string; error: string }[] = [];
  let passed = 0;
  let skipped = 0;
  await new Promise<void>((resolve) => {
    mocha
      .run()
      .on('pass', () => passed++)
      .on('pending', () => skipped++)
      .on('fail', (test, error: Error) => failures.push({ title: test.fullTitle(), error: error?.stack ?? String(error) }))
      .on('end', () => resolve());
  });
  const extensionPath = vscode.extensions.getExtension('quench.quench')?.extensionPath ?? process.cwd();
  const file = process.env['QUENCH_TEST_RESULTS'] || path.join(extensionPath, 'test-results', 'integration.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const results = { passed, failed: failures.length, skipped, trusted: vscode.workspace.isTrusted, failures };
  fs.writeFileSync(`${file}.partial`, JSON.stringify(results, null, 2));
  fs.renameSync(`${file}.partial`, file);
}
