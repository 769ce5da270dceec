// `probe`: cheap model detection for discovery. Reads headers (and model.json, which is small),
// never weights, and says why a look-alike (a graph model, an HDF5 that is not Keras) was rejected.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ProbeEntry, ProbeParams, ProbeResult } from '../../protocol/engine';
import { readHead } from '../data/files';
import { detectFormat } from '../formats';
import { readModelJson, shardPaths } from '../formats/tfjsManifest';
import { parseOnnx } from '../formats/onnx';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export async function probeJob(params: ProbeParams, ctx: JobContext): Promise<ProbeResult> {
  const entries: ProbeEntry[] = [];
  for (const file of params.paths) {
    throwIfCancelled(ctx);
    entries.push(await probeOne(file).catch((error: unknown) => ({ path: file, format: null, reason: reasonOf(error, file) })));
  }
  return { entries };
}

function reasonOf(error: unknown, file: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

async function probeOne(file: string): Promise<ProbeEntry> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return probeModelJson(file);
  if (ext === '.h5' || ext === '.hdf5') return probeH5(file);
  if (ext === '.keras') return probeKeras(file);
  if (ext === '.onnx') return probeOnnx(file);
  const handler = await detectFormat(file);
  if (!handler) return { path: file, format: null, reason: 'not a TF.js model.json, Keras .h5, Keras 3 .keras or ONNX file' };
  return { path: file, format: handler.id, bytes: (await fs.stat(file)).size };
}

async function probeModelJson(file: string): Promise<ProbeEntry> {
  const json = await readModelJson(file);
  let params = 0;
  for (const group of json.weightsManifest) for (const w of group.weights) params += w.shape.reduce((a, b) => a * b, 1);
  let bytes = 0;
  for (const f of [file, ...shardPaths(file, json)]) {
    const stat = await fs.stat(f).catch(() => null);
    if (!stat) return { path: file, format: null, reason: `weight shard ${path.basename(f)} is missing` };
    bytes += stat.size;
  }
  return { path: file, format: 'tfjs-layers', params, bytes };
}

async function probeH5(file: string): Promise<ProbeEntry> {
  const head = await readHead(file, 8);
  if (!HDF5_SIGNATURE.every((b, i) => head[i] === b)) return { path: file, format: null, reason: 'not an HDF5 file (no HDF5 signature)' };
  const h5wasm = await import('h5wasm/node');
  await h5wasm.ready;
  let h5: InstanceType<typeof h5wasm.File> | undefined;
  try {
    h5 = new h5wasm.File(path.resolve(file), 'r');
    if (!('model_config' in h5.attrs)) {
      const weightsOnly = 'layer_names' in h5.attrs;
      return { path: file, format: null, reason: weightsOnly ? 'a Keras weights-only file (save_weights) has no model_config; save the whole model' : 'an HDF5 file without a Keras model_config attribute' };
    }
  } catch (error) {
    throw new EngineFailure('bad-model', `cannot read the HDF5 file: ${(error as Error).message}`, file);
  } finally {
    h5?.close();
  }
  return { path: file, format: 'keras-h5', bytes: (await fs.stat(file)).size };
}

async function probeKeras(file: string): Promise<ProbeEntry> {
  const names = await zipEntryNames(file);
  if (names === null) return { path: file, format: null, reason: 'not a zip archive, so not a Keras 3 .keras file' };
  if (!names.includes('config.json')) return { path: file, format: null, reason: 'the .keras archive has no config.json' };
  if (!names.includes('model.weights.h5')) return { path: file, format: null, reason: 'the .keras archive has no model.weights.h5' };
  return { path: file, format: 'keras-v3', bytes: (await fs.stat(file)).size };
}

/** Above this size an .onnx is listed without its parameter count (counting parses the whole file). */
const ONNX_COUNT_MAX_BYTES = 256 * 2 ** 20;

/**
 * An .onnx: the ModelProto parsed (a damaged or truncated protobuf is rejected with the reason) and
 * its initializers' shapes counted; their bytes and any external data are never decoded.
 */
async function probeOnnx(file: string): Promise<ProbeEntry> {
  const { size } = await fs.stat(file);
  if (size > ONNX_COUNT_MAX_BYTES) return { path: file, format: 'onnx', bytes: size };
  const model = parseOnnx(new Uint8Array(await fs.readFile(file)), file);
  const params = model.graph.initializers.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  return { path: file, format: 'onnx', params, bytes: size };
}

/** Member names from the zip's central directory only (the end of the file), or null if not a zip. */
async function zipEntryNames(file: string): Promise<string[] | null> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailBytes = Math.min(size, 65_557);
    const tail = new Uint8Array(tailBytes);
    await handle.read(tail, 0, tailBytes, size - tailBytes);
    const view = new DataView(tail.buffer);
    let eocd = -1;
    for (let i = tailBytes - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return null;
    const count = view.getUint16(eocd + 10, true);
    const cdSize = view.getUint32(eocd + 12, true);
    const cdOffset = view.getUint32(eocd + 16, true);
    if (cdOffset + cdSize > size) return null;
    const cd = new Uint8Array(cdSize);
    await handle.read(cd, 0, cdSize, cdOffset);
    const cdView = new DataView(cd.buffer);
    const names: string[] = [];
    for (let at = 0, i = 0; i < count && at + 46 <= cdSize; i++) {
      if (cdView.getUint32(at, true) !== 0x02014b50) return null;
      const nameLength = cdView.getUint16(at + 28, true);
      const extra = cdView.getUint16(at + 30, true);
      const comment = cdView.getUint16(at + 32, true);
      names.push(new TextDecoder().decode(cd.subarray(at + 46, at + 46 + nameLength)));
      at += 46 + nameLength + extra + comment;
    }
    return names;
  } finally {
    await handle.close();
  }
}
