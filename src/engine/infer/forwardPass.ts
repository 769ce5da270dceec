// Forward passes over a dataset for evaluation and the SFP features: chosen graph tensors of a
// model (any node's output, inside nested models too), batch by batch, in dataset order. After
// prepare() the passes run on a flat inference copy (BatchNorm and ReLU folded into the
// convolutions, fold.ts) and, where it pays, a helper thread takes a batch whenever it has fewer
// than two waiting while this thread computes the others (forwardWorker.ts) — two cores instead
// of one.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { throwIfCancelled, type JobContext } from '../core/context';
import { buildGraph, type ModelGraph } from '../graph';
import { foldForInference, type FoldedModel } from './fold';
import { runGraph } from './graphRun';
import { ForwardWorker, helperThreadUseful, type ForwardOutput } from './forwardWorker';

export type { ForwardOutput } from './forwardWorker';

export interface ForwardRows {
  /** Per output, [N·size] values. */
  values: Float32Array[];
  labels: Int32Array;
  /** Position of the batch's first row within [start, end). */
  offset: number;
}

export interface ForwardRange {
  start: number;
  end: number;
  batchSize: number;
  /** Dataset-level shuffle of the range (the rows then say nothing about dataset indices). */
  shuffleSeed?: number;
}

export class ForwardPass {
  private readonly graph: ModelGraph;
  /** The graph tensor of each output. */
  private readonly tensors: string[];
  /** The inference copy and its sub-model computing the outputs; null until prepare(). */
  private copy: { folded: FoldedModel; sub: tf.LayersModel } | null = null;
  private helper: ForwardWorker | undefined;

  /**
   * Outputs name graph tensors (a top-level layer's name, `base/conv1` inside a nested model), or
   * a top-level nested model by its name (its output). Until prepare(), passes run the graph on
   * the model's own layers, on this thread.
   */
  constructor(readonly model: tf.LayersModel, readonly outputs: ForwardOutput[]) {
    this.graph = buildGraph(model);
    if (this.graph.inputs.length !== 1) throw new Error(`Forward passes need a model with one input; ${model.name} has ${this.graph.inputs.length}.`);
    this.tensors = outputs.map((o) => outputTensor(model, this.graph, o.layer));
  }

  /**
   * The inference copy, and a helper thread when `helper` is asked for and the backend and cores
   * allow it. A model that cannot be copied, or that the worker cannot rebuild, runs on one thread.
   */
  async prepare(ctx: JobContext, options: { helper: boolean }): Promise<void> {
    if (!this.copy) {
      try {
        const folded = await foldForInference(this.model, { observe: this.tensors, graph: this.graph });
        const sub = tf.model({ inputs: folded.model.inputs, outputs: this.tensors.map((t) => folded.model.getLayer(folded.layerName(t)).output as tf.SymbolicTensor) });
        this.copy = { folded, sub };
      } catch (error) {
        ctx.log('info', `Forward passes on the model itself, on one thread: no inference copy (${(error as Error).message}).`);
        return;
      }
    }
    if (this.helper || !options.helper || !helperThreadUseful()) return;
    const { folded } = this.copy;
    const outputs = this.outputs.map((o, i) => ({ ...o, layer: folded.layerName(this.tensors[i]!) }));
    try {
      this.helper = await ForwardWorker.start(folded.model, outputs, folded.topology);
    } catch (error) {
      ctx.log('info', `Forward passes on one thread: the helper thread could not rebuild the model (${(error as Error).message}).`);
    }
  }

  get threads(): number {
    return this.helper ? 2 : 1;
  }

  async close(): Promise<void> {
    await this.helper?.close();
    this.helper = undefined;
    this.copy?.folded.dispose();
    this.copy = null;
  }

  /** The outputs for one batch on this thread, each [N, size]. */
  private compute(x: tf.Tensor): tf.Tensor2D[] {
    return tf.tidy(() => {
      const n = x.shape[0];
      const input = this.fitInput(x);
      let list: tf.Tensor[];
      if (this.copy) {
        const raw = this.copy.sub.predict(input, { batchSize: n });
        list = Array.isArray(raw) ? raw : [raw];
      } else {
        list = runGraph(this.graph, input, this.tensors);
      }
      return this.outputs.map((output, i) => {
        let t = list[i];
        if (output.pool === 'global') t = tf.mean(t as tf.Tensor4D, [1, 2]);
        else if (output.pool !== null) t = tf.avgPool(t as tf.Tensor4D, output.pool, output.pool, 'valid');
        return t.reshape([n, output.size]) as tf.Tensor2D;
      });
    });
  }

  /**
   * The outputs of dataset[start, end) in order. With the helper thread, a batch goes to the helper
   * whenever it has fewer than HELPER_QUEUE batches waiting, else this thread computes it: neither
   * thread waits for the other (a strict alternation left the faster one idle).
   */
  async *rows(dataset: Dataset, range: ForwardRange, ctx: JobContext): AsyncGenerator<ForwardRows> {
    const pending: PendingRows[] = [];
    let offset = 0;
    try {
      for await (const batch of dataset.batches(range)) {
        try {
          throwIfCancelled(ctx);
        } catch (cancelled) {
          batch.x.dispose();
          throw cancelled;
        }
        const at = offset;
        offset += batch.y.length;
        if (this.helper && pending.filter((p) => p.onHelper && !p.ready).length < HELPER_QUEUE) {
          pending.push(await this.sendToHelper(this.helper, batch.x, batch.y, at));
        } else {
          pending.push({ values: Promise.resolve(await this.computeValues(batch.x)), labels: batch.y, offset: at, onHelper: false, ready: true });
        }
        // Let the helper's replies that arrived during this thread's work be delivered (an
        // in-memory dataset never returns to the event loop by itself), then hand out what is
        // done, in order, never holding more than a few batches.
        if (this.helper) await new Promise<void>((resolve) => setImmediate(resolve));
        while (pending.length > 0 && (pending[0].ready || pending.length > MAX_PENDING)) {
          const head = pending.shift()!;
          yield { values: await head.values, labels: head.labels, offset: head.offset };
        }
      }
      while (pending.length > 0) {
        const head = pending.shift()!;
        yield { values: await head.values, labels: head.labels, offset: head.offset };
      }
    } finally {
      // Batches still on the helper (cancelled, or the consumer stopped early) are dropped; their
      // promises already have a handler, so a late failure is not an unhandled rejection.
      pending.length = 0;
    }
  }

  private async sendToHelper(helper: ForwardWorker, batchX: tf.Tensor, labels: Int32Array, offset: number): Promise<PendingRows> {
    const input = this.fitInput(batchX);
    const x = new Float32Array(await input.data());
    const shape = input.shape;
    tf.dispose([batchX, input]);
    const entry: PendingRows = { values: helper.run(x, shape), labels, offset, onHelper: true, ready: false };
    entry.values.then(
      () => (entry.ready = true),
      () => (entry.ready = true),
    );
    return entry;
  }

  /** Dataset batches are images [N, H, W, C]; a model taking flat vectors gets them reshaped. */
  private fitInput(x: tf.Tensor): tf.Tensor {
    const rank = this.graph.tensor(this.graph.inputs[0]!).shape.length + 1;
    return x.rank === rank ? x : x.reshape([x.shape[0], -1]);
  }

  private async computeValues(batchX: tf.Tensor): Promise<Float32Array[]> {
    let tensors: tf.Tensor2D[];
    try {
      tensors = this.compute(batchX);
    } finally {
      batchX.dispose();
    }
    try {
      return await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
    } finally {
      tensors.forEach((t) => t.dispose());
    }
  }
}

/** Batches the helper may have waiting: one computing, one queued behind it. */
const HELPER_QUEUE = 2;
/** Finished or waiting batches held before the oldest is awaited (bounds memory). */
const MAX_PENDING = 4;

interface PendingRows {
  values: Promise<Float32Array[]>;
  labels: Int32Array;
  offset: number;
  onHelper: boolean;
  /** Settled (the values are there, or the helper failed). */
  ready: boolean;
}

/** The graph tensor an output names: a tensor id, or a top-level nested model (its output). */
function outputTensor(model: tf.LayersModel, graph: ModelGraph, name: string): string {
  if (graph.tensors.has(name)) return name;
  let layer: tf.layers.Layer | undefined = model.layers.find((l) => l.name === name);
  while (layer instanceof tf.LayersModel) layer = layer.outputs[0]!.sourceLayer;
  const node = layer && graph.nodes.find((n) => n.layer === layer);
  if (!node) throw new Error(`The model has no layer or graph tensor "${name}".`);
  return node.outputs[0]!;
}
