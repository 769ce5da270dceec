// `info`: what the engine runs on (version, backend, process, memory, the optional ONNX Runtime) — the client's health check.
import type { EngineInfo } from '../../protocol/engine';
import { initBackend } from '../backend';
import { onnxRuntimeStatus } from '../eval/onnxRuntime';
import { TOOL } from './common';
import type { JobContext } from '../core/context';

export async function infoJob(_params: Record<string, never>, _ctx: JobContext): Promise<EngineInfo> {
  const backend = await initBackend();
  return { version: TOOL.version, backend, pid: process.pid, memoryMB: Math.round(process.memoryUsage().rss / 2 ** 20), onnxRuntime: onnxRuntimeStatus() };
}
