// A second core for forward passes (evaluation, SFP features): a worker thread with its own
// TensorFlow.js (wasm backend) and a copy of the model computes some of the batches while the main
// thread computes the others (forwardPass.ts decides which). tfjs-backend-wasm does not use threads in Node (it turns them off
// there), so this is how a job gets a second core. The worker is plain JavaScript in a string (an
// eval worker): it needs no separate bundle and loads tfjs from the same node_modules as the engine.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

/** One output of a forward pass: a layer's output, optionally average-pooled, flattened. */
export interface ForwardOutput {
  /**
   * For ForwardPass: a graph tensor id (= node id: a top-level layer's name, `base/conv1` inside a
   * nested model) or a top-level nested model's name. For the worker: a layer name in the model
   * given to start().
   */
  layer: string;
  /** Average-pool window (stride = window, 'valid'), 'global' for a mean over positions, or none. */
  pool: number | 'global' | null;
  /** Values per sample after pooling. */
  size: number;
}

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('worker_threads');
const tf = require(workerData.tfjs);
const wasm = require(workerData.wasm);
let extractor;
let outputs;
async function init(message) {
  tf.env().set('PROD', true);
  wasm.setWasmPaths(workerData.wasmDir);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start in the worker');
  await tf.ready();
  const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(message.topology) });
  const weights = message.weights.map((w) => tf.tensor(w.values, w.shape, w.dtype));
  model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  outputs = message.outputs;
  extractor = tf.model({ inputs: model.inputs, outputs: outputs.map((o) => model.getLayer(o.layer).output) });
}
function run(message) {
  const x = tf.tensor(message.x, message.shape);
  const outs = tf.tidy(() => {
    const raw = extractor.predict(x, { batchSize: message.shape[0] });
    const list = Array.isArray(raw) ? raw : [raw];
    return outputs.map((output, i) => {
      let t = list[i];
      if (output.pool === 'global') t = tf.mean(t, [1, 2]);
      else if (output.pool !== null) t = tf.avgPool(t, output.pool, output.pool, 'valid');
      return t.reshape([message.shape[0], output.size]);
    });
  });
  x.dispose();
  // Own buffers (a backend may hand out views of its memory), so they can be transferred.
  const values = outs.map((t) => new Float32Array(t.dataSync()));
  outs.forEach((t) => t.dispose());
  return values;
}
parentPort.on('message', async (message) => {
  try {
    if (message.kind === 'init') {
      await init(message);
      parentPort.postMessage({ id: message.id, ok: true, backend: tf.getBackend() });
    } else {
      const values = run(message);
      parentPort.postMessage({ id: message.id, ok: true, values }, values.map((f) => f.buffer));
    }
  } catch (error) {
    parentPort.postMessage({ id: message.id, ok: false, error: String((error && error.message) || error) });
  }
});
`;

/**
 * Whether a helper thread can speed up forward passes here: the wasm backend and a spare core.
 * `QUENCH_THREADS=1` keeps every job on one thread (e.g. when several jobs share the cores);
 * `QUENCH_THREADS=2` uses the helper even on one core (tests).
 */
export function helperThreadUseful(): boolean {
  const asked = process.env['QUENCH_THREADS'];
  if (asked === '1') return false;
  return tf.getBackend() === 'wasm' && (asked === '2' || os.availableParallelism() >= 2);
}

/** Forward passes on a worker thread, for the same outputs as the main thread's sub-model. */
export class ForwardWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();

  private constructor(private readonly outputs: ForwardOutput[]) {
    const runtimeRequire = createRequire(__filename);
    const wasmMain = runtimeRequire.resolve('@tensorflow/tfjs-backend-wasm');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { tfjs: runtimeRequire.resolve('@tensorflow/tfjs'), wasm: wasmMain, wasmDir: path.dirname(wasmMain) + path.sep },
    });
    this.worker.on('message', (m: { id: number; ok: boolean; values?: Float32Array[]; error?: string }) => {
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.ok) waiting?.resolve(m.values ?? []);
      else waiting?.reject(new Error(m.error));
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('the forward-pass helper thread stopped')));
    // After the listeners (adding a 'message' listener refs the port): an idle helper never keeps
    // the process alive; a pending request does (see request()).
    this.worker.unref();
  }

  /**
   * Starts a worker with a copy of `model` (rebuilt from `topology`, by default the model's own
   * JSON), computing `outputs` for each batch it is given.
   */
  static async start(model: tf.LayersModel, outputs: ForwardOutput[], topology: object = model.toJSON(null, false) as object): Promise<ForwardWorker> {
    const worker = new ForwardWorker(outputs);
    try {
      const weights = model.getWeights().map((w) => ({ values: w.dataSync() as Float32Array | Int32Array, shape: w.shape, dtype: w.dtype }));
      await worker.request({ kind: 'init', topology: JSON.stringify(topology), weights, outputs });
      return worker;
    } catch (error) {
      await worker.close();
      throw error;
    }
  }

  /** The outputs for one batch x (values in the model's input layout, e.g. NHWC), each [N·size]. */
  async run(x: Float32Array, shape: number[]): Promise<Float32Array[]> {
    const values = await this.request({ kind: 'run', x, shape }, [x.buffer as ArrayBuffer]);
    values.forEach((v, i) => {
      if (v.length !== shape[0] * this.outputs[i].size) throw new Error(`the helper thread returned ${v.length} values for ${this.outputs[i].layer}`);
    });
    return values;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private request(message: object, transfer: ArrayBuffer[] = []): Promise<Float32Array[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.worker.unref();
  }
}
