// Bounded zip reading/writing for .keras files (fflate): entry names are checked for path
// traversal and sizes are capped before anything is inflated.
import { unzipSync, zipSync } from 'fflate';
import { EngineFailure } from '../core/errors';
import { budgetPhrase, formatBytes, memoryBudgetBytes } from '../limits/budget';

/** Per-entry cap on the uncompressed size (JSON parts are small; weights can be large). */
export const MAX_ENTRY_BYTES = 2 * 1024 ** 3;
export const MAX_JSON_BYTES = 64 * 1024 ** 2;
const MAX_ENTRIES = 10_000;

export const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

function unsafeName(name: string): boolean {
  return name.startsWith('/') || name.includes('\\') || /^[a-z]:/i.test(name) || name.split('/').includes('..');
}

/** Unzips `data`, refusing traversal names, oversized entries and archives with too many entries. */
export function readZip(data: Uint8Array, file: string): Map<string, Uint8Array> {
  let count = 0;
  let problem: EngineFailure | undefined;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(data, {
      filter(entry) {
        count++;
        const cap = entry.name.endsWith('.json') ? MAX_JSON_BYTES : MAX_ENTRY_BYTES;
        if (unsafeName(entry.name)) {
          problem ??= new EngineFailure('bad-model', `the archive entry ${JSON.stringify(entry.name)} points outside the archive`, file);
        } else if (entry.originalSize > cap) {
          problem ??= new EngineFailure('bad-model', `the archive entry ${entry.name} is ${entry.originalSize} bytes, over the ${cap} byte limit`, file);
        } else if (entry.originalSize > memoryBudgetBytes()) {
          // fflate allocates the declared size up front: a 100-byte file can claim 4 GB.
          problem ??= new EngineFailure('too-large', `the archive entry ${entry.name} unpacks to ${formatBytes(entry.originalSize)}, over ${budgetPhrase()}`, file);
        } else if (count > MAX_ENTRIES) {
          problem ??= new EngineFailure('bad-model', `the archive has more than ${MAX_ENTRIES} entries`, file);
        }
        return problem === undefined && !entry.name.endsWith('/');
      },
    });
  } catch (error) {
    throw new EngineFailure('bad-model', `is not a readable zip archive (${(error as Error).message})`, file);
  }
  if (problem) throw problem;
  return new Map(Object.entries(entries));
}

/** A zip of the given entries, stored uncompressed as Keras writes .keras files. */
export function writeZip(entries: [string, Uint8Array][]): Uint8Array {
  const mtime = new Date(Date.UTC(2025, 0, 1));
  return zipSync(Object.fromEntries(entries.map(([name, bytes]) => [name, [bytes, { level: 0, mtime }]])));
}
