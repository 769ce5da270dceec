// Clients of the two judges the Keras tier trusts instead of Quench's own readers:
// - Keras 3 in Python (judge.py, one process per test file, talking JSON lines), for .keras / .h5;
// - TensorFlow.js's own tf.loadLayersModel, for TF.js layers model.json files.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as tf from '@tensorflow/tfjs';

export const repoRoot = path.resolve(__dirname, '../..');

/** One weight of the judged model, owned by its innermost (non-model) layer. */
export interface JudgedWeight {
  layer: string;
  class: string;
  /** The variable's own name: `kernel`, `depthwise_kernel`, `moving_mean`, ... */
  name: string;
  path: string;
  shape: number[];
  zeros: number;
}

export interface Judged {
  params: number;
  outputs: Float32Array;
  outputShape: number[];
  weights: JudgedWeight[];
  className: string;
  /** Each layer feeds only the next (a Sequential-like chain); Keras judge only. */
  chain?: boolean;
}

export interface Batch {
  data: Float32Array;
  shape: number[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  what: string;
}

/** The venv python run-keras.mjs prepared (QUENCH_PYTHON), else .cache/py's if it exists. */
export function judgePython(): string {
  const given = process.env['QUENCH_PYTHON'];
  if (given) return given;
  const fallback = path.join(repoRoot, '.cache/py/bin/python');
  if (existsSync(fallback)) return fallback;
  throw new Error('QUENCH_PYTHON is not set and .cache/py does not exist: run the tier with `npm run test:keras`');
}

const shorten = (text: string, max = 2000): string => (text.length > max ? `${text.slice(0, max)} …[${text.length - max} more characters]` : text);

/**
 * A long-lived Python judge answering JSON-line requests (one answer per request, in order) with
 * {id, ok, result} or {id, ok: false, error, traceback}. `name` is how messages call it.
 */
export class PythonJudge {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  /** Scratch folder for the files requests exchange, removed by close(). */
  protected readonly dir: string;
  protected nextId = 1;
  private stderrTail = '';
  private exited: string | null = null;

  constructor(
    script: string,
    protected readonly name: string,
  ) {
    const python = judgePython();
    this.dir = mkdtempSync(path.join(os.tmpdir(), `quench-${name.toLowerCase()}-judge-`));
    this.child = spawn(python, ['-u', script], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdin.on('error', () => {}); // a dead judge is reported by 'exit' below
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => this.answer(line));
    const died = (why: string) => {
      this.exited = why;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new Error(`the ${name} judge (${python}) ${why} during ${p.what}; its stderr ends:\n${this.stderrTail}`));
      }
    };
    this.child.on('error', (error) => died(`could not start: ${error.message}`));
    this.child.on('exit', (code, signal) => died(`exited (${signal ?? code})`));
  }

  private answer(line: string): void {
    let message: { id: number; ok: boolean; result?: unknown; error?: string; traceback?: string };
    try {
      message = JSON.parse(line);
    } catch {
      this.stderrTail = (this.stderrTail + `\n[stdout] ${line}`).slice(-4000);
      return;
    }
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    if (message.ok) p.resolve(message.result);
    else p.reject(new Error(`${this.name} ${p.what} failed: ${shorten(message.error ?? 'unknown error')}\n${message.traceback ?? ''}`));
  }

  /** Sends one request; its answer, or an Error naming `what`, within `timeoutMs`. */
  request<T>(op: string, args: Record<string, unknown>, what: string, timeoutMs = 300_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`the ${this.name} judge ${this.exited}; its stderr ends:\n${this.stderrTail}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the ${this.name} judge did not answer ${what} within ${timeoutMs / 1000} s; its stderr ends:\n${this.stderrTail}`));
      }, timeoutMs);
      timer.unref();
      const settle = <A>(fn: (a: A) => void) => (a: A) => {
        clearTimeout(timer);
        fn(a);
      };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), what });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  close(): void {
    if (!this.exited) {
      this.child.stdin.end();
      this.child.kill();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The long-lived Keras process. Start it in `before()`, close it in `after()`. */
export class KerasJudge extends PythonJudge {
  private readonly inputs = new WeakMap<Float32Array, string>();

  constructor() {
    super(path.join(__dirname, 'judge.py'), 'Keras');
  }

  private async inputFile(batch: Batch): Promise<string> {
    let file = this.inputs.get(batch.data);
    if (!file) {
      file = path.join(this.dir, `input-${this.nextId++}.f32`);
      await fs.writeFile(file, Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
      this.inputs.set(batch.data, file);
    }
    return file;
  }

  /** keras.models.load_model(file, compile=False), then predict on `batch`. */
  async loadPredict(file: string, batch: Batch): Promise<Judged> {
    const output = path.join(this.dir, `output-${this.nextId}.f32`);
    const input = await this.inputFile(batch);
    const result = await this.request<Omit<Judged, 'outputs'>>(
      'load_predict',
      { path: path.resolve(file), input: { path: input, shape: batch.shape }, output },
      `load_model + predict of ${path.relative(repoRoot, path.resolve(file))}`,
    );
    const bytes = await fs.readFile(output);
    await fs.rm(output, { force: true });
    const outputs = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return { ...result, outputs };
  }

  /** Top-1 accuracy in percent of the Keras model at `file` on an IDX pair, computed with numpy. */
  accuracy(file: string, images: string, labels: string): Promise<{ top1: number; count: number }> {
    return this.request('accuracy', { path: path.resolve(file), images: path.resolve(images), labels: path.resolve(labels) }, `accuracy of ${path.relative(repoRoot, path.resolve(file))}`);
  }

  versions(): Promise<Record<string, string>> {
    return this.request('versions', {}, 'versions');
  }
}

interface ModelJson {
  modelTopology: object;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/**
 * TensorFlow.js's own reading of a layers model.json + shards: the files are read here and handed
 * to tf.loadLayersModel through a minimal IOHandler (Node has no file:// loader without tfjs-node).
 * Shares no code with Quench's reader.
 */
export async function tfjsLoad(file: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as ModelJson;
  const dir = path.dirname(file);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const shard of group.paths) buffers.push(await fs.readFile(path.join(dir, shard)));
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy ?? undefined,
    }),
  });
}

/** The short name of a tfjs weight: `conv2d/kernel` → `kernel`. */
export function shortWeightName(weight: tf.LayerVariable): string {
  return weight.originalName.split('/').pop()!;
}

/** Every (nested) layer of a tfjs model that is not itself a model. */
export function leafLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) => (layer instanceof tf.LayersModel ? leafLayers(layer) : [layer]));
}

export function predict(model: tf.LayersModel, batch: Batch): { outputs: Float32Array; outputShape: number[] } {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor(batch.data, batch.shape), { batchSize: 64 });
    const out = Array.isArray(y) ? y : [y];
    if (out.length !== 1) throw new Error(`the model has ${out.length} outputs; the tier compares single-output classifiers`);
    return { outputs: out[0]!.dataSync() as Float32Array, outputShape: out[0]!.shape };
  });
}

/** The tfjs judge of a model.json: tf.loadLayersModel, predict on `batch`, weights and zeros. */
export async function tfjsLoadPredict(file: string, batch: Batch): Promise<Judged> {
  let model: tf.LayersModel;
  try {
    model = await tfjsLoad(file);
  } catch (error) {
    throw new Error(`tf.loadLayersModel of ${path.relative(repoRoot, path.resolve(file))} failed: ${shorten(String((error as Error)?.message ?? error))}`);
  }
  try {
    const { outputs, outputShape } = predict(model, batch);
    const weights = leafLayers(model).flatMap((layer) =>
      layer.weights.map((w) => {
        const values = w.read().dataSync();
        let zeros = 0;
        for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
        return { layer: layer.name, class: layer.getClassName(), name: shortWeightName(w), path: w.originalName, shape: w.shape as number[], zeros };
      }),
    );
    return { params: model.countParams(), outputs, outputShape, weights, className: model.getClassName() };
  } finally {
    model.dispose();
  }
}

/** Largest |a[i] - b[i]|, with where it is, for messages. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; at: number } {
  if (a.length !== b.length) throw new Error(`output sizes differ: ${a.length} vs ${b.length}`);
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return { max: NaN, at: i };
    if (d > max) {
      max = d;
      at = i;
    }
  }
  return { max, at };
}
