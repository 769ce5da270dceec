// Shared by the suite's files: the extension, a scratch folder inside the workspace, polling.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'quench.quench';

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

export function extensionPath(): string {
  return extension().extensionPath;
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite needs a workspace folder');
  return folder.uri.fsPath;
}

/** Public third-party fixtures (../shared/fixtures/public beside the repository). */
export function publicFixture(...parts: string[]): string {
  return path.resolve(extensionPath(), '../shared/fixtures/public', ...parts);
}

export const scratchName = `.quench-tmp-it-${process.pid}`;

/** A scratch folder in the workspace (git-ignored by name); removed by removeScratch(). */
export function scratch(...parts: string[]): string {
  return path.join(workspaceRoot(), scratchName, ...parts);
}

export function copyInto(target: string, ...files: string[]): void {
  fs.mkdirSync(target, { recursive: true });
  for (const file of files) fs.copyFileSync(file, path.join(target, path.basename(file)));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ListedModels {
  models: { path: string; name: string; format: string; params?: number }[];
  rejected: Record<string, string>;
}

export function listModels(): Thenable<ListedModels> {
  return vscode.commands.executeCommand<ListedModels>('quench.listModels');
}

/** Creates the workspace's model files for discovery tests: each format and two look-alikes. */
export function createModelFixtures(): Record<'tiny' | 'h5' | 'keras' | 'fakeJson' | 'fakeH5', string> {
  const repo = extensionPath();
  copyInto(scratch('tiny'), path.join(repo, 'test/fixtures/tiny/model.json'), path.join(repo, 'test/fixtures/tiny/group1-shard1of1.bin'));
  copyInto(scratch('keras'), path.join(repo, 'test/fixtures/keras/sequential_cnn.h5'), path.join(repo, 'test/fixtures/keras/residual_v3.keras'));
  fs.mkdirSync(scratch('lookalike'), { recursive: true });
  fs.copyFileSync(path.join(repo, 'test/integration/suite/fixtures/lookalike-model.json'), scratch('lookalike', 'model.json'));
  fs.copyFileSync(path.join(repo, 'test/integration/suite/fixtures/not-keras.h5'), scratch('lookalike', 'measurements.h5'));
  return {
    tiny: scratch('tiny', 'model.json'),
    h5: scratch('keras', 'sequential_cnn.h5'),
    keras: scratch('keras', 'residual_v3.keras'),
    fakeJson: scratch('lookalike', 'model.json'),
    fakeH5: scratch('lookalike', 'measurements.h5'),
  };
}

export interface QuenchStateSnapshot {
  existed: boolean;
  runs: Set<string>;
  models: string | undefined;
}

/** What the workspace's .quench/ held before the suite, so the suite can put it back. */
export function snapshotQuenchState(): QuenchStateSnapshot {
  const dir = path.join(workspaceRoot(), '.quench');
  const runs = path.join(dir, 'runs');
  const models = path.join(dir, 'models.json');
  return {
    existed: fs.existsSync(dir),
    runs: new Set(fs.existsSync(runs) ? fs.readdirSync(runs) : []),
    models: fs.existsSync(models) ? fs.readFileSync(models, 'utf8') : undefined,
  };
}

/** Removes the scratch folder and every .quench/ file the suite created. */
export function restoreWorkspace(before: QuenchStateSnapshot): void {
  fs.rmSync(scratch(), { recursive: true, force: true });
  const dir = path.join(workspaceRoot(), '.quench');
  if (!before.existed) {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  const runs = path.join(dir, 'runs');
  for (const name of fs.existsSync(runs) ? fs.readdirSync(runs) : []) if (!before.runs.has(name)) fs.rmSync(path.join(runs, name), { force: true });
  if (before.models === undefined) fs.rmSync(path.join(dir, 'models.json'), { force: true });
  else fs.writeFileSync(path.join(dir, 'models.json'), before.models);
}
