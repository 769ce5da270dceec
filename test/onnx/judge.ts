// The ONNX tier's judge of record: onnxruntime + onnx.checker in Python (judge.py, one long-lived
// process per test file, JSON lines), and Quench's own reading of an .onnx for comparison.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { predict, PythonJudge, repoRoot, type Batch } from '../keras/judge';
import { openModel } from '../../src/engine/formats/index';

export { maxAbsDiff, repoRoot, type Batch } from '../keras/judge';
export const fixturesDir = path.join(repoRoot, 'test/fixtures/onnx');
export const cli = path.join(repoRoot, 'dist/cli.js');
export const rel = (file: string): string => path.relative(repoRoot, path.resolve(file));

/** One fixture as test/fixtures/onnx/manifest.json records it (make-onnx.py). */
export interface Fixture {
  file: string;
  exporter: 'torchscript' | 'dynamo' | 'torchscript-bn';
  architecture: string;
  /** [null, C, H, W]. */
  inputShape: [null, number, number, number];
  output: string;
  opset: number;
  ops: string[];
  bytes: number;
  sha256: string;
  /** Trained nets only: top-1 % by onnxruntime on the 2,000 images of examples/data. */
  onnxruntimeTop1?: number;
}

export function readFixtures(): Fixture[] {
  const manifest = JSON.parse(readFileSync(path.join(fixturesDir, 'manifest.json'), 'utf8')) as { models: Fixture[] };
  return manifest.models;
}

export const fixturePath = (fixture: Fixture): string => path.join(fixturesDir, fixture.file);

/** What onnxruntime and onnx.checker make of a file. */
export interface OrtJudged {
  outputs: Float32Array;
  outputShape: number[];
  inputShape: (number | null)[];
  opset: number;
  ops: string[];
  nodes: string[];
  initializers: { name: string; shape: number[]; zeros: number }[];
  params: number;
  producer: string;
  metadata: Record<string, string>;
  graphInputs: string[];
}

/** The long-lived onnxruntime process. Start it in `before()`, close it in `after()`. */
export class OnnxJudge extends PythonJudge {
  constructor() {
    super(path.join(__dirname, 'judge.py'), 'onnxruntime');
  }

  /** onnx.checker.check_model(full_check) + onnxruntime on `batch` (NCHW). */
  async loadPredict(file: string, batch: Batch): Promise<OrtJudged> {
    const id = this.nextId;
    const input = path.join(this.dir, `input-${id}.f32`);
    const output = path.join(this.dir, `output-${id}.f32`);
    await fs.writeFile(input, Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
    const result = await this.request<Omit<OrtJudged, 'outputs'>>('load_predict', { path: path.resolve(file), input: { path: input, shape: batch.shape }, output }, `check_model + run of ${rel(file)}`);
    const bytes = await fs.readFile(output);
    await Promise.all([fs.rm(input, { force: true }), fs.rm(output, { force: true })]);
    return { ...result, outputs: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  }

  /** Top-1 % by onnxruntime on an IDX pair (pixels / 255, NCHW). */
  accuracy(file: string, images: string, labels: string, limit?: number): Promise<{ top1: number; count: number }> {
    return this.request('accuracy', { path: path.resolve(file), images: path.resolve(images), labels: path.resolve(labels), limit }, `accuracy of ${rel(file)}`);
  }

  /** Output shapes of the Conv and the Gemm/MatMul nodes by onnx.shape_inference, in node order. */
  convShapes(file: string): Promise<{ Conv?: (number | null)[][]; Gemm?: (number | null)[][] }> {
    return this.request('conv_shapes', { path: path.resolve(file) }, `shape inference of ${rel(file)}`);
  }

  /** A copy of `file` at `out` whose graph fixes the batch size (torch.onnx.export without dynamic axes). */
  fixedBatch(file: string, batch: number, out: string): Promise<{ out: string }> {
    return this.request('fixed_batch', { path: path.resolve(file), batch, out: path.resolve(out) }, `fixed-batch copy of ${rel(file)}`);
  }

  versions(): Promise<Record<string, string>> {
    return this.request('versions', {}, 'versions');
  }
}

/** A seeded N(0, 1)-ish batch (sum of uniforms, mulberry32), NCHW. */
export function randomBatch(shape: number[], seed = 7): Batch {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const data = new Float32Array(shape.reduce((x, y) => x * y, 1));
  for (let i = 0; i < data.length; i++) data[i] = next() + next() + next() - 1.5;
  return { data, shape };
}

/** NCHW → NHWC (or back with `inverse`). */
export function transpose(batch: Batch, inverse = false): Batch {
  const [n, d1, d2, d3] = batch.shape as [number, number, number, number];
  const [c, h, w] = inverse ? [d3, d1, d2] : [d1, d2, d3];
  const out = new Float32Array(batch.data.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const nchw = ((i * c + ch) * h + y) * w + x;
          const nhwc = ((i * h + y) * w + x) * c + ch;
          if (inverse) out[nchw] = batch.data[nhwc]!;
          else out[nhwc] = batch.data[nchw]!;
        }
  return { data: out, shape: inverse ? [n, c, h, w] : [n, h, w, c] };
}

/**
 * Quench's reading of `file` (the format registry's openModel, as the CLI's jobs open it) predicting
 * on the NCHW `batch`. The engine may run NHWC inside: the batch is laid out as the model it built
 * takes, judged by that model's input shape.
 */
export async function quenchPredict(file: string, batch: Batch): Promise<{ outputs: Float32Array; outputShape: number[]; notes: string[] }> {
  const loaded = await openModel(file);
  try {
    const model: tf.LayersModel = loaded.model;
    const want = model.inputs[0]!.shape.slice(1);
    const [, c, h, w] = batch.shape as [number, number, number, number];
    const fits = (dims: number[]) => want.length === 3 && want.every((d, i) => d === null || d === dims[i]);
    let input: Batch;
    if (fits([c, h, w])) input = batch;
    else if (fits([h, w, c])) input = transpose(batch);
    else throw new Error(`Quench reads ${rel(file)} as taking ${JSON.stringify(model.inputs[0]!.shape)}; the tier feeds NCHW ${JSON.stringify(batch.shape)}`);
    return { ...predict(model, input), notes: loaded.notes ?? [] };
  } finally {
    loaded.model.dispose();
  }
}

export interface CliRun {
  code: number | null;
  output: string;
  command: string;
}

/**
 * `node dist/cli.js …` on the wasm backend, one thread (as the Keras tier runs it), with accuracy
 * measured by TensorFlow.js (QUENCH_ONNXRUNTIME=off): the tier judges Quench's own reading. `env`
 * overrides (runtime.test.ts turns ONNX Runtime on).
 */
export function runCli(args: string[], timeoutMs = 600_000, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const command = `node dist/cli.js ${args.map((a) => (path.isAbsolute(a) ? rel(a) || '.' : a)).join(' ')}`;
  if (!existsSync(cli)) return Promise.resolve({ code: -1, output: `${rel(cli)} is missing: run \`npm run build\` first`, command });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, QUENCH_BACKEND: 'wasm', QUENCH_THREADS: '1', QUENCH_ONNXRUNTIME: 'off', ...env } });
    let output = '';
    const timer = setTimeout(() => child.kill(), timeoutMs);
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, command });
    });
  });
}
