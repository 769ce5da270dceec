// The fuzz inputs: 10 valid seeds (models and datasets) and, as a second set with its own sequence,
// 4 ONNX seeds (two real PyTorch exports, a model with external data and that data file); and the
// seeded sequence of mutated copies made from a set. Shared by the fuzz test and the replay tool (replay.ts), so input #N of a run can
// be written out again and opened by hand.
import { promises as fs, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { generator, mutateBytes, mutateJson, type MutationKind } from './mutate';

const repoRoot = path.resolve(__dirname, '../..');

export interface Seed {
  name: string;
  kind: 'model' | 'data';
  /** Files of the valid input, by name in its folder; `target` is the one mutated. */
  files: Record<string, Uint8Array>;
  target: string;
  /** What the reader is given: the folder, or a file in it. */
  open: string;
  json?: boolean;
}

/** Which seeds a run mutates: the first set's sequence is unchanged by the ONNX set's existence. */
export type SeedSet = 'models-and-data' | 'onnx';

const read = async (rel: string): Promise<Uint8Array> => new Uint8Array(await fs.readFile(path.join(repoRoot, rel)));

/** The ONNX reader's seeds: PyTorch's two exporters (test/fixtures/onnx) and external weights. */
async function onnxSeeds(): Promise<Seed[]> {
  const onnx = async (rel: string): Promise<Record<string, Uint8Array>> => ({ 'model.onnx': await read(rel) });
  const external = { 'model.onnx': await read('test/fixtures/bad/good-onnx-external/model.onnx'), 'weights.bin': await read('test/fixtures/bad/good-onnx-external/weights.bin') };
  return [
    { name: 'ONNX (TorchScript export)', kind: 'model', files: await onnx('test/fixtures/onnx/fashion-cnn-torchscript.onnx'), target: 'model.onnx', open: 'model.onnx' },
    { name: 'ONNX (dynamo export)', kind: 'model', files: await onnx('test/fixtures/onnx/mobilenetv3-dynamo.onnx'), target: 'model.onnx', open: 'model.onnx' },
    { name: 'ONNX with external data', kind: 'model', files: external, target: 'model.onnx', open: 'model.onnx' },
    { name: 'ONNX external data file', kind: 'model', files: external, target: 'weights.bin', open: 'model.onnx' },
  ];
}

export async function seeds(set: SeedSet = 'models-and-data'): Promise<Seed[]> {
  if (set === 'onnx') return onnxSeeds();
  const tiny = { 'model.json': await read('test/fixtures/tiny/model.json'), 'group1-shard1of1.bin': await read('test/fixtures/tiny/group1-shard1of1.bin') };
  const functional = { ...tiny, 'model.json': await read('test/fixtures/bad/good-functional/model.json') };
  const idx = { 't10k-images-idx3-ubyte': await read('test/fixtures/bad/good-idx/t10k-images-idx3-ubyte'), 't10k-labels-idx1-ubyte': await read('test/fixtures/bad/good-idx/t10k-labels-idx1-ubyte') };
  const npz = zipSync({ 'x_test.npy': npy(idx['t10k-images-idx3-ubyte'].subarray(16), [20, 8, 8]), 'y_test.npy': npy(idx['t10k-labels-idx1-ubyte'].subarray(8), [20]) });
  const pngs: Record<string, Uint8Array> = {};
  for (let c = 0; c < 10; c++) pngs[`${c}/a.png`] = await read(`test/fixtures/bad/undecodable-image/${c}/a.png`);
  const keras = async (rel: string): Promise<Record<string, Uint8Array>> => ({ [path.basename(rel)]: await read(rel) });
  return [
    { name: 'tfjs model.json', kind: 'model', files: tiny, target: 'model.json', open: 'model.json', json: true },
    { name: 'tfjs functional model.json', kind: 'model', files: functional, target: 'model.json', open: 'model.json', json: true },
    { name: 'tfjs weight shard', kind: 'model', files: tiny, target: 'group1-shard1of1.bin', open: 'model.json' },
    { name: 'Keras .h5 (Sequential)', kind: 'model', files: await keras('test/fixtures/keras/sequential_cnn.h5'), target: 'sequential_cnn.h5', open: 'sequential_cnn.h5' },
    { name: 'Keras .h5 (Functional)', kind: 'model', files: await keras('test/fixtures/keras/functional_branches.h5'), target: 'functional_branches.h5', open: 'functional_branches.h5' },
    { name: 'Keras 3 .keras', kind: 'model', files: await keras('test/fixtures/keras/residual_v3.keras'), target: 'residual_v3.keras', open: 'residual_v3.keras' },
    { name: 'IDX images', kind: 'data', files: idx, target: 't10k-images-idx3-ubyte', open: '.' },
    { name: 'IDX labels', kind: 'data', files: idx, target: 't10k-labels-idx1-ubyte', open: '.' },
    { name: '.npz', kind: 'data', files: { 'test.npz': npz }, target: 'test.npz', open: 'test.npz' },
    { name: 'PNG image folder', kind: 'data', files: pngs, target: '3/a.png', open: '.' },
  ];
}

function npy(data: Uint8Array, shape: number[]): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(new TextEncoder().encode(header), 10);
  return new Uint8Array([...head, ...data]);
}

/** One mutated input: which seed, which mutation, and the folder its files were written to. */
export interface FuzzInput {
  i: number;
  seed: Seed;
  kind: MutationKind;
  folder: string;
  /** What the reader opens (a file in `folder`, or `folder` itself). */
  open: string;
}

/**
 * Writes the inputs of a run one at a time under `dir` (input i in `dir/i`); the same `seedValue`
 * gives the same bytes. The caller removes a folder when done with it.
 */
export async function* fuzzInputs(seedValue: number, count: number, dir: string, set: SeedSet = 'models-and-data'): AsyncGenerator<FuzzInput> {
  const random = generator(seedValue);
  const all = await seeds(set);
  for (let i = 0; i < count; i++) {
    const seed = all[i % all.length]!;
    const kinds: MutationKind[] = seed.json ? ['json-field', 'json-field', 'bit-flip', 'truncate', 'insert'] : ['bit-flip', 'bit-flip', 'truncate', 'insert'];
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    const folder = path.join(dir, String(i));
    for (const [name, original] of Object.entries(seed.files)) {
      mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
      const mutated =
        name !== seed.target ? original : kind === 'json-field' ? new TextEncoder().encode(mutateJson(new TextDecoder().decode(original), random)) : mutateBytes(original, kind, random);
      writeFileSync(path.join(folder, name), mutated);
    }
    yield { i, seed, kind, folder, open: path.join(folder, seed.open) };
  }
}
