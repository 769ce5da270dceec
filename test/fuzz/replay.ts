// Writes chosen inputs of a fuzz run to a folder, to open them by hand after a failure:
//   node --import tsx test/fuzz/replay.ts <seed> <out-folder> <index> [index ...]
// (QUENCH_FUZZ_SET=onnx for the ONNX run's inputs.)
// Input i lands in <out-folder>/i; the line printed says which seed and mutation made it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fuzzInputs, type SeedSet } from './inputs';

async function main(): Promise<void> {
  const [seedText, outDir, ...indexTexts] = process.argv.slice(2);
  const wanted = new Set(indexTexts.map(Number));
  if (!seedText || !outDir || wanted.size === 0 || [...wanted].some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error('usage: replay.ts <seed> <out-folder> <index> [index ...]');
  }
  const out = path.resolve(outDir);
  const set: SeedSet = process.env['QUENCH_FUZZ_SET'] === 'onnx' ? 'onnx' : 'models-and-data';
  for await (const input of fuzzInputs(Number(seedText), Math.max(...wanted) + 1, out, set)) {
    if (wanted.has(input.i)) console.log(`#${input.i} ${input.seed.name} (${input.kind}): ${input.open}`);
    else await fs.rm(input.folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
