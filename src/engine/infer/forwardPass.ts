// Forward passes over a dataset for evaluation and the SFP features: chosen outputs of a model,
// batch by batch, in dataset order. After prepare() the passes run on an inference copy (BatchNorm
// and ReLU folded into the convolutions, fold.ts) and, where it pays, a helper thread computes every
// other batch while this thread computes the next (forwardWorker.ts) — two cores instead of one.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { throwIfCancelled, type JobContext } from '../jobs/context';
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
  compute(x: tf.Tensor): tf.Tensor2D[] {
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

  /** The outputs of dataset[start, end) in order, the helper thread computing every other batch. */
  async *rows(dataset: Dataset, range: ForwardRange, ctx: JobContext): AsyncGenerator<ForwardRows> {
    let inFlight: { values: Promise<Float32Array[]>; labels: Int32Array; offset: number } | undefined;
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
        if (this.helper && !inFlight) {
          const input = fitInput(batch.x, this.sub);
          const x = new Float32Array(await input.data());
          const shape = input.shape;
          tf.dispose([batch.x, input]);
          inFlight = { values: this.helper.run(x, shape), labels: batch.y, offset: at };
          continue;
        }
        let tensors: tf.Tensor2D[];
        try {
          tensors = this.compute(batch.x);
        } finally {
          batch.x.dispose();
        }
        const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
        tensors.forEach((t) => t.dispose());
        if (inFlight) {
          const earlier = inFlight;
          inFlight = undefined;
          yield { values: await earlier.values, labels: earlier.labels, offset: earlier.offset };
        }
        yield { values, labels: batch.y, offset: at };
      }
      if (inFlight) {
        const last = inFlight;
        inFlight = undefined;
        yield { values: await last.values, labels: last.labels, offset: last.offset };
      }
    } finally {
      // A batch still on the helper (cancelled, or the consumer stopped early) is dropped.
      inFlight?.values.catch(() => undefined);
    }
  }
}

function subModel(model: tf.LayersModel, outputs: ForwardOutput[], rename: (name: string) => string): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: outputs.map((o) => model.getLayer(rename(o.layer)).output as tf.SymbolicTensor) });
}

/** Dataset batches are images [N, H, W, C]; a model taking flat vectors gets them reshaped. */
function fitInput(x: tf.Tensor, model: tf.LayersModel): tf.Tensor {
  const rank = model.inputs[0]!.shape.length;
  return x.rank === rank ? x : x.reshape([x.shape[0], -1]);
}
