// Inspect reports per model file, cached while the file's size and mtime are unchanged, so the
// Models view, the layer pickers and the editor features share one engine request per version.
import { promises as fs } from 'node:fs';
import type { InspectReport } from '../../protocol/report';
import type { EngineClientApi } from '../services';

interface Entry {
  stamp: string;
  report: Promise<InspectReport>;
}

export class InspectCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly engine: EngineClientApi) {}

  async get(modelPath: string): Promise<InspectReport> {
    const { mtimeMs, size } = await fs.stat(modelPath);
    const stamp = `${mtimeMs}:${size}`;
    const cached = this.entries.get(modelPath);
    if (cached?.stamp === stamp) return cached.report;
    const report = this.engine.request('inspect', { model: modelPath });
    this.entries.set(modelPath, { stamp, report });
    // A failed inspect is not cached: the next call retries (the file may be mid-write).
    report.catch(() => {
      if (this.entries.get(modelPath)?.report === report) this.entries.delete(modelPath);
    });
    return report;
  }

  forget(modelPath: string): void {
    this.entries.delete(modelPath);
  }
}
