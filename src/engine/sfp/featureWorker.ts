// A second core for the feature pass: a worker thread with its own TensorFlow.js (wasm backend)
// and a copy of the model computes every other batch while the main thread computes the rest.
// tfjs-backend-wasm does not use threads in Node (it turns them off there), so this is how the
// analysis gets a second core. The worker is plain JavaScript in a string (an eval worker): it
// needs no separate bundle and loads tfjs from the same node_modules as the engine.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { FeatureSpec } from './features';

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('worker_threads');
const tf = require(workerData.tfjs);
const wasm = require(workerData.wasm);
let extractor;
let specs;
async function init(message) {
  tf.env().set('PROD', true);
  wasm.setWasmPaths(workerData.wasmDir);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start in the worker');
  await tf.ready();
  const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(message.topology) });
  const weights = message.weights.map((w) => tf.tensor(w.values, w.shape, w.dtype));
  model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  specs = message.specs;
  extractor = tf.model({ inputs: model.inputs, outputs: specs.map((s) => model.getLayer(s.cut).output) });
}
function run(message) {
  const x = tf.tensor4d(message.x, message.shape);
  const outs = tf.tidy(() => {
    const raw = extractor.predict(x, { batchSize: message.shape[0] });
    const list = Array.isArray(raw) ? raw : [raw];
    return specs.map((spec, i) => {
      let t = list[i];
      if (spec.pool === 'global') t = tf.mean(t, [1, 2]);
      else if (spec.pool !== null) t = tf.avgPool(t, spec.pool, spec.pool, 'valid');
      return t.reshape([message.shape[0], spec.size]);
    });
  });
  x.dispose();
  // Own buffers (a backend may hand out views of its memory), so they can be transferred.
  const features = outs.map((t) => new Float32Array(t.dataSync()));
  outs.forEach((t) => t.dispose());
  return features;
}
parentPort.on('message', async (message) => {
  try {
    if (message.kind === 'init') {
      await init(message);
      parentPort.postMessage({ id: message.id, ok: true, backend: tf.getBackend() });
    } else {
      const started = performance.now();
      const features = run(message);
      parentPort.postMessage({ id: message.id, ok: true, features, ms: performance.now() - started }, features.map((f) => f.buffer));
    }
  } catch (error) {
    parentPort.postMessage({ id: message.id, ok: false, error: String((error && error.message) || error) });
  }
});
`;

/** Whether a helper thread can speed up the feature pass here: wasm backend and a spare core. */
export function featureWorkerUseful(): boolean {
  const asked = process.env['QUENCH_SFP_THREADS'];
  if (asked === '1') return false;
  return tf.getBackend() === 'wasm' && (asked === '2' || os.availableParallelism() >= 2);
}

/** Feature extraction on a worker thread, for the same specs as the main thread's extractor. */
export class FeatureWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();
  /** Milliseconds the worker spent computing, for diagnostics. */
  busyMs = 0;
  batches = 0;

  private constructor(private readonly specs: FeatureSpec[]) {
    const runtimeRequire = createRequire(__filename);
    const wasmMain = runtimeRequire.resolve('@tensorflow/tfjs-backend-wasm');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { tfjs: runtimeRequire.resolve('@tensorflow/tfjs'), wasm: wasmMain, wasmDir: path.dirname(wasmMain) + path.sep },
    });
    this.worker.on('message', (m: { id: number; ok: boolean; features?: Float32Array[]; error?: string; ms?: number }) => {
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.ms !== undefined) {
        this.busyMs += m.ms;
        this.batches += 1;
      }
      if (m.ok) waiting?.resolve(m.features ?? []);
      else waiting?.reject(new Error(m.error));
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('the feature worker stopped')));
    // After the listeners (adding a 'message' listener refs the port): an idle helper never keeps
    // the process alive; a pending request does (see request()).
    this.worker.unref();
  }

  /** Starts a worker with a copy of `model`, reading features at layers `cuts` (one per spec). */
  static async start(model: tf.LayersModel, specs: FeatureSpec[], cuts: string[]): Promise<FeatureWorker> {
    const worker = new FeatureWorker(specs);
    try {
      const topology = JSON.stringify(model.toJSON(null, false));
      const weights = model.getWeights().map((w) => ({ values: w.dataSync() as Float32Array | Int32Array, shape: w.shape, dtype: w.dtype }));
      await worker.request({ kind: 'init', topology, weights, specs: specs.map((s, i) => ({ cut: cuts[i], pool: s.pool, size: s.size })) });
      return worker;
    } catch (error) {
      await worker.close();
      throw error;
    }
  }

  /** Features of one batch x [N, H, W, C] (values in NHWC order), per spec [N·size]. */
  async run(x: Float32Array, shape: number[]): Promise<Float32Array[]> {
    const features = await this.request({ kind: 'run', x, shape }, [x.buffer as ArrayBuffer]);
    features.forEach((f, i) => {
      if (f.length !== shape[0] * this.specs[i].size) throw new Error(`the feature worker returned ${f.length} values for ${this.specs[i].block.name}`);
    });
    return features;
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
