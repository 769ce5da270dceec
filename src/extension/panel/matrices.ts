// Reads a run's SFP matrices side file (binary SfpMatricesFile: JSON header, then float32 per
// layer) one layer at a time: only the header and the requested layer's bytes are read, and the
// Float32Array goes to the webview as is (VS Code transfers typed arrays without JSON-encoding).
import { promises as fs } from 'node:fs';
import { SFP_MATRICES_MAGIC, type Report, type SfpMatricesFile } from '../../protocol/report';

export type LayerMatrices =
  | { ok: true; classes: number; filters: number; data: Float32Array }
  | { ok: false; reason: string };

const PREFIX_BYTES = SFP_MATRICES_MAGIC.length + 4;
/** A header larger than this is not one Quench wrote (13 layers take about 1 KB). */
const MAX_HEADER_BYTES = 1 << 20;

export class MatricesCache {
  private header?: { path: string; mtimeMs: number; content: Promise<SfpMatricesFile> };

  async layer(report: Report, layer: string): Promise<LayerMatrices> {
    const sfp = report.kind === 'analyze' || report.kind === 'prune' || report.kind === 'compare' ? report.sfp : undefined;
    if (!sfp) return { ok: false, reason: 'This run has no SFP analysis.' };
    if (!sfp.matricesPath) return { ok: false, reason: 'This run did not store the per-filter matrices; run Analyze with matrices enabled to see them. Cluster squares are drawn from the label sets instead.' };
    const file = sfp.matricesPath;
    try {
      const { mtimeMs } = await fs.stat(file);
      if (this.header?.path !== file || this.header.mtimeMs !== mtimeMs) this.header = { path: file, mtimeMs, content: readMatricesHeader(file) };
      const header = await this.header.content;
      const entry = header.layers.find((l) => l.name === layer);
      if (!entry) return { ok: false, reason: `${file} has no matrices for layer ${layer}.` };
      return { ok: true, classes: header.classes, filters: entry.filters, data: await readLayer(file, entry) };
    } catch (err) {
      this.header = undefined;
      return { ok: false, reason: `Could not read the matrices file ${file}: ${(err as Error).message}` };
    }
  }
}

/** Parses and checks the header: every layer's block must lie inside the file and fit C×C. */
export async function readMatricesHeader(file: string): Promise<SfpMatricesFile> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = Buffer.alloc(PREFIX_BYTES);
    const { bytesRead } = await handle.read(prefix, 0, PREFIX_BYTES, 0);
    if (bytesRead < PREFIX_BYTES || prefix.toString('latin1', 0, SFP_MATRICES_MAGIC.length) !== SFP_MATRICES_MAGIC) {
      throw new Error(`not a Quench SFP matrices file (it does not start with ${SFP_MATRICES_MAGIC})`);
    }
    const headerBytes = prefix.readUInt32LE(SFP_MATRICES_MAGIC.length);
    if (headerBytes > MAX_HEADER_BYTES || PREFIX_BYTES + headerBytes > size) throw new Error(`its header length ${headerBytes} does not fit the file (${size} bytes)`);
    const json = Buffer.alloc(headerBytes);
    await handle.read(json, 0, headerBytes, PREFIX_BYTES);
    let header: SfpMatricesFile;
    try {
      header = JSON.parse(json.toString('utf8')) as SfpMatricesFile;
    } catch (err) {
      throw new Error(`its header is not JSON (${(err as Error).message})`);
    }
    if (!Number.isInteger(header?.classes) || header.classes < 1 || !Array.isArray(header.layers)) throw new Error('its header has no classes or layers');
    const dataStart = PREFIX_BYTES + headerBytes;
    for (const l of header.layers) {
      const fits = typeof l?.name === 'string' && Number.isInteger(l.filters) && l.filters >= 0 && Number.isInteger(l.offset) && l.offset % 4 === 0 && l.offset >= dataStart;
      if (!fits) throw new Error(`its header describes a layer it cannot locate (${JSON.stringify(l?.name)})`);
      if (l.length !== l.filters * header.classes * header.classes) throw new Error(`layer ${l.name} has ${l.length} values, expected ${l.filters}×${header.classes}×${header.classes}`);
      if (l.offset + l.length * 4 > size) throw new Error(`layer ${l.name} ends past the end of the file (truncated?)`);
    }
    return header;
  } finally {
    await handle.close();
  }
}

async function readLayer(file: string, entry: SfpMatricesFile['layers'][number]): Promise<Float32Array> {
  const data = new Float32Array(entry.length);
  const bytes = new Uint8Array(data.buffer);
  const handle = await fs.open(file, 'r');
  try {
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, entry.offset + done);
      if (bytesRead === 0) throw new Error(`layer ${entry.name} ends past the end of the file (truncated?)`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    // Big-endian host: the file is little-endian.
    const view = new DataView(data.buffer);
    for (let k = 0; k < data.length; k++) data[k] = view.getFloat32(4 * k, true);
  }
  return data;
}
