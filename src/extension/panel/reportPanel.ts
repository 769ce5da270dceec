// One webview panel: holds messages until the page says `ready`, and hands the controller only
// messages that passed validation.
import * as vscode from 'vscode';
import type { HostToWebview, WebviewToHost } from '../../protocol/webview';
import { buildWebviewHtml, webviewOptions } from './html';
import { parseWebviewMessage } from './webviewMessages';

export const REPORT_VIEW_TYPE = 'quench.report';

export class ReportPanel implements vscode.Disposable {
  private ready = false;
  private queue: HostToWebview[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  /** The run on screen (what the serializer restores and exports act on). */
  runId?: string;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    onMessage: (message: WebviewToHost) => void,
    onDispose: () => void,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'quench.png');
    panel.webview.html = buildWebviewHtml(panel.webview, extensionUri, 'report', 'Quench');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (!message) return;
        if (message.type === 'ready') this.flush();
        onMessage(message);
      }),
      panel.onDidDispose(() => {
        this.disposeListeners();
        onDispose();
      }),
      // A hidden webview is torn down (no retainContextWhenHidden); it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    );
  }

  post(message: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
    else this.queue.push(message);
  }

  /** Replaces queued messages of one type (progress floods; only the latest matters). */
  postLatest(message: HostToWebview): void {
    if (!this.ready) this.queue = this.queue.filter((m) => m.type !== message.type);
    this.post(message);
  }

  private flush(): void {
    this.ready = true;
    const pending = this.queue;
    this.queue = [];
    for (const m of pending) void this.panel.webview.postMessage(m);
  }

  private disposeListeners(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  dispose(): void {
    this.panel.dispose();
  }
}
