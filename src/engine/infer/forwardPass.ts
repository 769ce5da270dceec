// Forward passes over a dataset for evaluation and the SFP features: chosen outputs of a model,
// batch by batch, in dataset order. After prepare() the passes run on an inference copy (BatchNorm
// and ReLU folded into the convolutions, fold.ts) and, where it pays, a helper thread takes a batch
// whenever it has fewer than two waiting while this thread computes the others (forwardWorker.ts) —
// two cores instead of one.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { throwIfCancelled, type JobContext } from '../core/context';
import { foldForInference, type FoldedModel } from './fold';
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
  /** The sub-model computing the outputs on this thread (shares the layers of its source model). */
  private sub: tf.LayersModel;
  private folded: FoldedModel | null = null;
  private helper: ForwardWorker | undefined;

  /** Until prepare(), passes run on the model itself, on this thread. */
  constructor(readonly model: tf.LayersModel, readonly outputs: ForwardOutput[]) {
    this.sub = subModel(model, outputs, (name) => name);
  }

  /**
   * The inference copy (when the model folds), and a helper thread when `helper` is asked for and
   * the backend and cores allow it. A model the worker cannot rebuild runs on one thread.
   */
  async prepare(ctx: JobContext, options: { helper: boolean }): Promise<void> {
    if (!this.folded) {
      this.folded = await foldForInference(this.model, { observe: this.outputs.map((o) => o.layer) });
      if (this.folded) this.sub = subModel(this.folded.model, this.outputs, this.folded.layerName);
    }
    if (this.helper || !options.helper || !helperThreadUseful()) return;
    const folded = this.folded;
    const outputs = folded ? this.outputs.map((o) => ({ ...o, layer: folded.layerName(o.layer) })) : this.outputs;
    try {
      this.helper = await ForwardWorker.start(folded ? folded.model : this.model, outputs);
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
    this.folded?.dispose();
    this.folded = null;
    this.sub = subModel(this.model, this.outputs, (name) => name);
  }

  /** The outputs for one batch on this thread, each [N, size]. */
  private compute(x: tf.Tensor): tf.Tensor2D[] {
    return tf.tidy(() => {
      const n = x.shape[0];
      const raw = this.sub.predict(fitInput(x, this.sub), { batchSize: n });
      const list = Array.isArray(raw) ? raw : [raw];
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
    const input = fitInput(batchX, this.sub);
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

function subModel(model: tf.LayersModel, outputs: ForwardOutput[], rename: (name: string) => string): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: outputs.map((o) => model.getLayer(rename(o.layer)).output as tf.SymbolicTensor) });
}

/** Dataset batches are images [N, H, W, C]; a model taking flat vectors gets them reshaped. */
function fitInput(x: tf.Tensor, model: tf.LayersModel): tf.Tensor {
  const rank = model.inputs[0]!.shape.length;
  return x.rank === rank ? x : x.reshape([x.shape[0], -1]);
}
