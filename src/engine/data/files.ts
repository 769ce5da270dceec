// File helpers shared by the readers: gzip-aware reads, hashes, fixed-size record access.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, promises as fs, readSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EngineFailure } from '../core/errors';

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    throw new EngineFailure('io', `cannot read the file: ${(error as Error).message}`, file);
  }
  return hash.digest('hex');
}

/**
 * One hash for several files: the file's own sha256 for one file, else the sha256 of the
 * `sha256sum`-style listing "<hash>  <name relative to the common folder>\n", sorted by name.
 */
export function combineHashes(entries: { file: string; sha256: string }[]): string {
  if (entries.length === 1) return entries[0]!.sha256;
  const root = commonFolder(entries.map((e) => e.file));
  const lines = entries
    .map((e) => `${e.sha256}  ${path.relative(root, e.file).split(path.sep).join('/')}\n`)
    .sort((a, b) => a.slice(66).localeCompare(b.slice(66)));
  return createHash('sha256').update(lines.join('')).digest('hex');
}

export async function sha256Files(files: string[]): Promise<string> {
  const entries = [];
  for (const file of files) entries.push({ file, sha256: await sha256File(file) });
  return combineHashes(entries);
}

function commonFolder(files: string[]): string {
  let root = path.dirname(path.resolve(files[0]!));
  while (!files.every((f) => path.resolve(f).startsWith(root + path.sep))) root = path.dirname(root);
  return root;
}

export async function readFileOrFail(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (error) {
    throw new EngineFailure('io', `cannot read the file: ${(error as Error).message}`, file);
  }
}

/** The first `bytes` bytes of a file (fewer when it is shorter). */
export async function readHead(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r').catch((error: Error) => {
    throw new EngineFailure('io', `cannot read the file: ${error.message}`, file);
  });
  try {
    const out = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(out, 0, bytes, 0);
    return out.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function gunzipOrFail(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (error) {
    throw new EngineFailure('bad-data', `the gzip stream is corrupt or truncated (${(error as Error).message})`, file);
  }
}

/** Fixed-size records after a header, served from memory or read from disk on demand. */
export interface RecordReader {
  count: number;
  recordBytes: number;
  read(index: number): Uint8Array;
  close(): void;
}

export function recordsInMemory(bytes: Uint8Array, headerBytes: number, recordBytes: number, count: number): RecordReader {
  return {
    count,
    recordBytes,
    read: (i) => bytes.subarray(headerBytes + i * recordBytes, headerBytes + (i + 1) * recordBytes),
    close: () => undefined,
  };
}

/** Keeps only a file descriptor: memory stays bounded however large the file is. */
export function recordsOnDisk(file: string, headerBytes: number, recordBytes: number, count: number): RecordReader {
  const fd = openSync(file, 'r');
  let open = true;
  return {
    count,
    recordBytes,
    read(i) {
      const out = new Uint8Array(recordBytes);
      const got = readSync(fd, out, 0, recordBytes, headerBytes + i * recordBytes);
      if (got !== recordBytes) throw new EngineFailure('bad-data', `the file ends inside record ${i}`, file);
      return out;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

export async function fileSize(file: string): Promise<number> {
  return (await fs.stat(file)).size;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
