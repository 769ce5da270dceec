// A self-check of the integration harness, independent of the extension's own suite: proves that
// the code-server payload runs a suite inside a real extension host with Quench under development,
// and that the runner's environment reaches that host. Run: node scripts/run-integration.mjs --harness-check
import * as vscode from 'vscode';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Failure {
  title: string;
  error: string;
}

export async function run(): Promise<void> {
  const failures: Failure[] = [];
  let passed = 0;
  const check = async (title: string, body: () => void | Promise<void>) => {
    try {
      await body();
      passed++;
    } catch (error) {
      failures.push({ title, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  };

  const extension = vscode.extensions.getExtension('quench.quench');
  await check('runs inside VS Code 1.100.3 (code-server 4.100.3)', () => assert.equal(vscode.version, '1.100.3'));
  await check('the quench extension is under development in this host', () => {
    assert.ok(extension, 'quench.quench not found');
    assert.equal(extension.packageJSON.name, 'quench');
  });
  await check('the workspace folder is open', () => assert.equal(vscode.workspace.workspaceFolders?.length, 1));
  await check('the runner environment reaches the extension host', () => assert.ok(process.env.QUENCH_TEST_RESULTS, 'QUENCH_TEST_RESULTS is not set'));

  const file = process.env.QUENCH_TEST_RESULTS ?? path.join(extension?.extensionPath ?? process.cwd(), 'test-results', 'harness-check.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.partial`, JSON.stringify({ passed, failed: failures.length, failures }, null, 2));
  fs.renameSync(`${file}.partial`, file);
}
