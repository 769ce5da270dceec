// Finds the models of the workspace: candidate files by name (findFiles, honouring files.exclude,
// quench.exclude and node_modules), confirmed by the engine's header-only `probe` in batches, kept
// current by a debounced FileSystemWatcher. The extension host itself never reads model files.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProbeEntry } from '../../protocol/engine';
import type { ModelFormat } from '../../protocol/report';
import type { EngineClientApi } from '../services';
import type { QuenchLog } from '../log';

export interface DiscoveredModel {
  uri: vscode.Uri;
  /** Absolute file-system path: the key everywhere (runs, settings, context keys). */
  path: string;
  /** What people call it: the folder of a model.json, else the file name without extension. */
  name: string;
  format: ModelFormat;
  params?: number;
  bytes?: number;
}

const CANDIDATES = '**/{model.json,*.h5,*.keras,*.onnx}';
const PROBE_BATCH = 40;
const DEBOUNCE_MS = 300;

export function modelDisplayName(filePath: string): string {
  const base = path.basename(filePath);
  if (base === 'model.json') {
    const folder = path.basename(path.dirname(filePath));
    // Quench writes a pruned TF.js model into `model.pruned/` beside the original's model.json.
    if (folder === 'model.pruned') return `${path.basename(path.dirname(path.dirname(filePath)))}.pruned`;
    return folder;
  }
  return base.replace(/\.(h5|keras|onnx)$/i, '');
}

export class ModelIndex implements vscode.Disposable {
  private readonly found = new Map<string, DiscoveredModel>();
  /** Look-alikes and the engine's reason for rejecting them. */
  readonly rejected = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly queued = new Map<string, 'probe' | 'delete' | 'folder'>();
  private timer: NodeJS.Timeout | undefined;
  private scan: Promise<void> | undefined;
  private draining: Promise<void> = Promise.resolve();
  lastError: string | undefined;

  constructor(
    private readonly engine: EngineClientApi,
    private readonly log: QuenchLog,
  ) {
    // One watcher for everything: deleting, moving or copying a folder reports the folder only, not
    // the models inside (VS Code coalesces child events into the parent's).
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    this.subscriptions.push(
      watcher,
      this.changed,
      watcher.onDidCreate((uri) => this.enqueue(uri, isCandidate(uri) ? 'probe' : 'folder')),
      watcher.onDidChange((uri) => isCandidate(uri) && this.enqueue(uri, 'probe')),
      watcher.onDidDelete((uri) => (isCandidate(uri) ? this.enqueue(uri, 'delete') : this.removeUnder(uri.fsPath))),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('quench.exclude') || e.affectsConfiguration('files.exclude')) void this.refresh();
      }),
    );
    void vscode.commands.executeCommand('setContext', 'quench.discovery', 'scanning');
  }

  models(): DiscoveredModel[] {
    return [...this.found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path));
  }

  get(filePath: string): DiscoveredModel | undefined {
    return this.found.get(filePath);
  }

  /** Resolves once the current scan and queued watcher updates are applied. */
  async whenIdle(): Promise<void> {
    await this.scan;
    if (this.timer) await new Promise<void>((resolve) => setTimeout(resolve, DEBOUNCE_MS + 20));
    await this.draining;
  }

  /** A full scan; results arrive batch by batch so a large workspace fills the view gradually. */
  refresh(): Promise<void> {
    this.scan = this.fullScan().finally(() => void vscode.commands.executeCommand('setContext', 'quench.discovery', 'done'));
    return this.scan;
  }

  private async fullScan(): Promise<void> {
    const uris = await vscode.workspace.findFiles(CANDIDATES, excludeGlob());
    const seen = new Set(uris.map((u) => u.fsPath));
    for (const stale of [...this.found.keys()].filter((p) => !seen.has(p))) this.found.delete(stale);
    this.lastError = undefined;
    for (let i = 0; i < uris.length; i += PROBE_BATCH) await this.probe(uris.slice(i, i + PROBE_BATCH));
    this.publish();
  }

  private async probe(uris: vscode.Uri[]): Promise<void> {
    if (uris.length === 0) return;
    let entries: ProbeEntry[];
    try {
      entries = (await this.engine.request('probe', { paths: uris.map((u) => u.fsPath) })).entries;
    } catch (error) {
      this.lastError = `Could not check ${uris.length} candidate model file(s): ${(error as Error).message}`;
      this.log.error(this.lastError);
      this.publish();
      return;
    }
    const byPath = new Map(uris.map((u) => [u.fsPath, u]));
    for (const entry of entries) {
      const uri = byPath.get(entry.path) ?? vscode.Uri.file(entry.path);
      if (entry.format) {
        this.rejected.delete(entry.path);
        this.found.set(entry.path, { uri, path: entry.path, name: modelDisplayName(entry.path), format: entry.format, params: entry.params, bytes: entry.bytes });
      } else {
        this.found.delete(entry.path);
        this.rejected.set(entry.path, entry.reason ?? 'not a model Quench can open');
        this.log.debug(`Not a model: ${entry.path}${entry.reason ? ` (${entry.reason})` : ''}`);
      }
    }
    this.publish();
  }

  private enqueue(uri: vscode.Uri, action: 'probe' | 'delete' | 'folder'): void {
    if (uri.scheme !== 'file' || uri.fsPath.split(path.sep).includes('node_modules')) return;
    if (action === 'folder' && this.queued.has(uri.fsPath)) return;
    this.queued.set(uri.fsPath, action);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draining = this.draining.then(() => this.drain()).catch((error: unknown) => this.log.error(`Model discovery update failed: ${(error as Error).message}`));
    }, DEBOUNCE_MS);
  }

  private removeUnder(folder: string): void {
    const inside = [...this.found.keys()].filter((p) => p.startsWith(folder + path.sep));
    for (const p of inside) this.enqueue(vscode.Uri.file(p), 'delete');
  }

  private async drain(): Promise<void> {
    const work = [...this.queued];
    this.queued.clear();
    let removed = false;
    const toProbe: vscode.Uri[] = [];
    const created: string[] = [];
    for (const [filePath, action] of work) {
      if (action === 'delete') {
        removed = this.found.delete(filePath) || removed;
        this.rejected.delete(filePath);
      } else if (action === 'folder') {
        created.push(filePath);
      } else if (await isIncluded(vscode.Uri.file(filePath))) {
        toProbe.push(vscode.Uri.file(filePath));
      }
    }
    if (removed) this.publish();
    toProbe.push(...(await this.candidatesIn(created)).filter((u) => !toProbe.some((p) => p.fsPath === u.fsPath)));
    for (let i = 0; i < toProbe.length; i += PROBE_BATCH) await this.probe(toProbe.slice(i, i + PROBE_BATCH));
  }

  /** Candidate files inside the created entries that are folders (a folder moved or copied in). */
  private async candidatesIn(created: string[]): Promise<vscode.Uri[]> {
    const folders: string[] = [];
    for (const entry of created) {
      const stat = await Promise.resolve(vscode.workspace.fs.stat(vscode.Uri.file(entry))).catch(() => undefined);
      if (stat && stat.type & vscode.FileType.Directory) folders.push(entry);
    }
    // Outermost folders only (a copy reports a/ and sometimes a/b/); findFiles applies the excludes.
    const outermost = folders.filter((f) => !folders.some((other) => f.startsWith(other + path.sep)));
    const found: vscode.Uri[] = [];
    for (const folder of outermost) {
      found.push(...(await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(folder), CANDIDATES), excludeGlob())));
    }
    return found.filter((u) => !this.found.has(u.fsPath));
  }

  private publish(): void {
    const paths = [...this.found.keys()];
    void vscode.commands.executeCommand('setContext', 'quench.modelFiles', paths);
    void vscode.commands.executeCommand('setContext', 'quench.hasModels', paths.length > 0);
    this.changed.fire();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }
}

function isCandidate(uri: vscode.Uri): boolean {
  const name = path.basename(uri.fsPath);
  return name === 'model.json' || /\.(h5|keras|onnx)$/i.test(name);
}

/** node_modules, .quench and the user's quench.exclude patterns; files.exclude applies on top. */
function excludeGlob(): string {
  const user = vscode.workspace.getConfiguration('quench').get<string[]>('exclude', []);
  return `{${['**/node_modules/**', '**/.quench/**', ...user.filter((p) => p.trim())].join(',')}}`;
}

/** Whether a watcher event's file passes the same excludes as the scan (asks the search service). */
async function isIncluded(uri: vscode.Uri): Promise<boolean> {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return false;
  const relative = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
  const hits = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, relative), excludeGlob(), 1);
  return hits.length > 0;
}
