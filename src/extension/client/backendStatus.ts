// The status-bar item naming the engine's TensorFlow.js backend, as the engine reports it when it
// starts: "$(zap) TensorFlow", or "$(circuit-board) wasm" / "cpu" with a click that installs the
// faster backend (or opens the quench.backend setting when that setting forces a slower one).
import * as vscode from 'vscode';
import type { EngineInfo } from '../../protocol/engine';
import type { BackendName } from '../../protocol/report';

export interface BackendStatusSource {
  readonly info: EngineInfo | undefined;
  readonly onDidStart: vscode.Event<EngineInfo>;
}

export interface BackendStatusView {
  text: string;
  tooltip: string;
  command?: vscode.Command;
}

/** What the item shows for a backend, given the quench.backend setting. */
export function backendStatusView(backend: BackendName, setting: string): BackendStatusView {
  if (backend === 'tensorflow') {
    return { text: '$(zap) TensorFlow', tooltip: 'Quench engine backend: native TensorFlow (@tensorflow/tfjs-node).' };
  }
  const name = backend === 'wasm' ? 'WebAssembly (wasm)' : 'the JavaScript CPU backend (cpu)';
  if (setting !== 'auto' && setting !== 'tensorflow') {
    return {
      text: `$(circuit-board) ${backend}`,
      tooltip: `Quench engine backend: ${name}, as the quench.backend setting asks. Click to change the setting.`,
      command: { title: 'Quench backend setting', command: 'workbench.action.openSettings', arguments: ['quench.backend'] },
    };
  }
  return {
    text: `$(circuit-board) ${backend}`,
    tooltip: `Quench engine backend: ${name}. Click to install native TensorFlow (@tensorflow/tfjs-node), which trains and evaluates faster.`,
    command: { title: 'Install Faster Backend (TensorFlow)', command: 'quench.installFasterBackend' },
  };
}

export function registerBackendStatus(engine: BackendStatusSource): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('quench.backend', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Quench Backend';
  const update = (info: EngineInfo | undefined): void => {
    if (!info) return;
    const view = backendStatusView(info.backend, vscode.workspace.getConfiguration('quench').get<string>('backend', 'auto'));
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.command = view.command;
    item.show();
  };
  update(engine.info);
  return vscode.Disposable.from(
    item,
    engine.onDidStart(update),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('quench.backend')) update(engine.info);
    }),
  );
}
