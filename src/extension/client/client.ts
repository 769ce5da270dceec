// The engine client the extension uses: an EngineConnection whose process is started from the
// quench.nodePath / quench.backend / quench.maxMemoryMB settings and logs into the Quench channel.
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

  constructor(
    private readonly extensionPath: string,
    private readonly log: QuenchLog,
  ) {
    this.connection = new EngineConnection((handlers) => startEngineProcess(this.processOptions(), handlers), {
      log: (level, message, time) => logEngineLine(log, level, message, time),
      ready: (info) => log.info(`Engine ready: pid ${info.pid}, backend ${info.backend}, version ${info.version}.`),
      exited: (description, expected) => (expected ? log.info(description) : log.error(description)),
    });
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!RESTART_SETTINGS.some((s) => event.affectsConfiguration(s))) return;
        if (this.connection.pendingCount === 0) this.connection.restart();
        else {
          this.restartWhenIdle = true;
          log.info('Engine settings changed; the engine restarts when the running jobs end.');
        }
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

  dispose(): void {
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
    };
    this.log.info(
      `Starting the engine: ${options.nodePath ?? 'editor runtime'}, backend ${options.backend}` +
        (options.maxMemoryMB ? `, memory budget ${options.maxMemoryMB} MB` : ''),
    );
    return options;
  }
}
