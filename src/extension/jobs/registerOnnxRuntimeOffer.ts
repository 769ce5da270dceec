// Wires the ONNX Runtime offer (onnxRuntimeOffer.ts) to the job runner, the engine, global state
// and a non-modal information message. The job flow never waits for the answer.
import * as vscode from 'vscode';
import type { EngineInfo } from '../../protocol/engine';
import type { EngineClientApi } from '../services';
import type { QuenchLog } from '../log';
import { OnnxRuntimeOffer } from './onnxRuntimeOffer';
import type { JobRunner } from './runner';

export function registerOnnxRuntimeOffer(
  context: vscode.ExtensionContext,
  jobs: JobRunner,
  engine: EngineClientApi & { readonly info: EngineInfo | undefined },
  log: QuenchLog,
): vscode.Disposable {
  const offer = new OnnxRuntimeOffer({
    state: context.globalState,
    info: async () => engine.info ?? (await engine.request('info', {})),
    ask: (message, ...buttons) => vscode.window.showInformationMessage(message, ...buttons),
    install: () => vscode.commands.executeCommand('quench.installOnnxRuntime'),
  });
  return jobs.onDidFinishJob(({ modelPath }) => {
    void offer.jobDone(modelPath).then(
      (outcome) => outcome !== 'not-onnx' && log.debug(`ONNX Runtime offer after a job on ${modelPath}: ${outcome}.`),
      (error: unknown) => log.warn(`ONNX Runtime offer: ${(error as Error).message ?? String(error)}`),
    );
  });
}
