// The engine client the extension uses: an EngineConnection whose process is started from the
// quench.nodePath / quench.backend / quench.maxMemoryMB settings and logs into the Quench channel.
// `extraModules` (where Install Faster Backend puts @tensorflow/tfjs-node and Install ONNX Runtime
// puts onnxruntime-node) reach the engine as QUENCH_EXTRA_MODULES, before any folders the user's
// own QUENCH_EXTRA_MODULES names.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineInfo, EngineMethod, EngineRequests } from '../../protocol/engine';
import type { EngineClientApi, RequestOptions } from '../services';
import { logEngineLine, type QuenchLog } from '../log';
import { EngineConnection } from './connection';
import { startEngineProcess, type EngineProcessOptions } from './process';

const RESTART_SETTINGS = ['quench.nodePath', 'quench.backend', 'quench.maxMemoryMB'];

export class EngineClient implements EngineClientApi {
  private readonly connection: EngineConnection;
  private readonly subscriptions: vscode.Disposable[] = [];
  private restartWhenIdle = false;
  private readonly started = new vscode.EventEmitter<EngineInfo>();
  /** Fires when an engine process has started and said what it runs on. */
  readonly onDidStart = this.started.event;

  constructor(
    private readonly extensionPath: string,
    private readonly log: QuenchLog,
    private readonly extraModules: readonly string[] = [],
  ) {
    this.connection = new EngineConnection((handlers) => startEngineProcess(this.processOptions(), handlers), {
      log: (level, message, time) => logEngineLine(log, level, message, time),
      ready: (info) => {
        log.info(`Engine ready: pid ${info.pid}, backend ${info.backend}, version ${info.version}.`);
        this.started.fire(info);
      },
      exited: (description, expected) => (expected ? log.info(description) : log.error(description)),
    });
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!RESTART_SETTINGS.some((s) => event.affectsConfiguration(s))) return;
        if (!this.restart()) log.info('Engine settings changed; the engine restarts when the running jobs end.');
      }),
    );
  }

  get pid(): number | undefined {
    return this.connection.pid;
  }

  get info(): EngineInfo | undefined {
    return this.connection.info;
  }

  async request<M extends EngineMethod>(
    method: M,
    params: EngineRequests[M]['params'],
    options: RequestOptions = {},
  ): Promise<EngineRequests[M]['result']> {
    try {
      return await this.connection.request(method, params, options);
    } finally {
      if (this.restartWhenIdle && this.connection.pendingCount === 0) {
        this.restartWhenIdle = false;
        this.connection.restart();
      }
    }
  }

  /** Restarts the engine now when no request runs (true), else when the running ones end (false). */
  restart(): boolean {
    if (this.connection.pendingCount === 0) {
      this.connection.restart();
      return true;
    }
    this.restartWhenIdle = true;
    return false;
  }

  dispose(): void {
    this.started.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.connection.dispose();
  }

  private processOptions(): EngineProcessOptions {
    const config = vscode.workspace.getConfiguration('quench');
    const options: EngineProcessOptions = {
      enginePath: path.join(this.extensionPath, 'dist', 'engine.js'),
      nodePath: config.get<string>('nodePath', '').trim() || undefined,
      backend: config.get<string>('backend', 'auto'),
      maxMemoryMB: config.get<number>('maxMemoryMB', 0),
      env: this.extraModules.length ? { QUENCH_EXTRA_MODULES: [...this.extraModules, process.env['QUENCH_EXTRA_MODULES']].filter(Boolean).join(path.delimiter) } : undefined,
    };
    this.log.info(
      `Starting the engine: ${options.nodePath ?? 'editor runtime'}, backend ${options.backend}` +
        (options.maxMemoryMB ? `, memory budget ${options.maxMemoryMB} MB` : ''),
    );
    return options;
  }
}
