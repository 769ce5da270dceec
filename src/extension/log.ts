// The "Quench" output channel: the extension's own messages and the engine's forwarded log.
import * as vscode from 'vscode';
import type { LogLevel } from '../protocol/engine';

export type QuenchLog = vscode.LogOutputChannel;

export function createLog(): QuenchLog {
  return vscode.window.createOutputChannel('Quench', { log: true });
}

/** Writes an engine log line at its level; the engine's timestamp is kept in the text. */
export function logEngineLine(log: QuenchLog, level: LogLevel, message: string, time: string): void {
  const text = `[engine ${time.slice(11, 23)}] ${message}`;
  if (level === 'error') log.error(text);
  else if (level === 'warn') log.warn(text);
  else if (level === 'debug') log.debug(text);
  else log.info(text);
}
