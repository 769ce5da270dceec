// Masked fine-tuning (METHOD.md §8): SGD with Nesterov momentum (or Adam) over the chosen layers,
// masks enforced in the forward pass, progress and cancellation between steps, early stopping on
// a held-out split. The model is changed only when training finishes; a cancelled or failed run
// leaves it as it was.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';
import type { MaskSet } from '../graph/masks';
import type { FinetuneInfo } from '../../protocol/report';
import { batchSource, type BatchSource } from './batches';
import { TrainingGraph } from './graph';
import { networkOf } from './network';
import { defaultTrainLayers, REESTIMATE_BATCHES, resolveOptions, type FinetuneOptions } from './options';
import { MomentAverage } from './recalibrate';

export type { FinetuneOptions } from './options';

/** Top-1 accuracy of the graph (inference mode) on samples [start, end) of the dataset. */
export async function graphAccuracy(graph: TrainingGraph, data: Dataset, start: number, end: number, ctx: JobContext): Promise<number> {
  let correct = 0;
  let total = 0;
  for await (const batch of data.batches({ batchSize: 256, start, end })) {
    throwIfCancelled(ctx);
    const predicted = tf.tidy(() => tf.argMax(graph.forward(batch.x, { training: false, logits: true }), -1));
    const values = await predicted.data();
    predicted.dispose();
    batch.x.dispose();
    values.forEach((p, i) => (correct += p === batch.y[i] ? 1 : 0));
    total += values.length;
  }
  return total === 0 ? 0 : correct / total;
}

/**
 * New moving statistics for the BatchNorm layers that trained, measured as in training mode (batch
 * statistics in those layers, no dropout) with the final weights: the average of per-batch moments
 * over up to REESTIMATE_BATCHES un-augmented training batches. Training's running blend keeps most
 * of the statistics of the weights it started from, which no longer fit after a short run with every
 * layer moving (the inference-mode accuracy fell while the training loss did not).
 */
async function reestimateMovingStats(graph: TrainingGraph, source: BatchSource, from: number, pass: number, ctx: JobContext): Promise<void> {
  const average = new MomentAverage();
  try {
    for await (const batch of source.epoch(pass, true)) {
      if (ctx.signal.aborted) tf.dispose([batch.x, batch.y]);
      throwIfCancelled(ctx);
      const moments = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
      tf.tidy(() => {
        graph.forward(batch.x, { training: true, dropout: false, from, logits: true, batchStats: moments });
      });
      tf.dispose([batch.x, batch.y]);
      average.add(moments);
      ctx.progress({ stage: 'finetune', message: 'Re-estimating BatchNorm statistics', step: average.batches, steps: REESTIMATE_BATCHES, fraction: 1 });
      if (average.batches >= REESTIMATE_BATCHES) break;
    }
    average.setInto(graph);
  } finally {
    average.dispose();
  }
}

export async function finetune(
  model: tf.LayersModel,
  masks: MaskSet,
  trainData: Dataset,
  options: FinetuneOptions,
  ctx: JobContext,
): Promise<FinetuneInfo> {
  const settings = resolveOptions(options, options.trainLayers === undefined && masks.length > 0);
  if (!(settings.epochs >= 1)) throw new EngineFailure('mismatch', `fine-tuning needs at least one epoch (got ${settings.epochs})`);
  const { steps } = networkOf(model);
  const known = new Set(steps.map((s) => s.layer));
  const trainLayers = options.trainLayers ?? defaultTrainLayers(steps, masks);
  const unknown = trainLayers.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new EngineFailure('mismatch', `layers to train not in the model: ${unknown.join(', ')}`);

  const heldOut = Math.floor(trainData.size * settings.heldOutFraction);
  const trainEnd = trainData.size - heldOut;
  const graph = new TrainingGraph(model, masks, new Set(trainLayers));
  const variables = graph.trainableVariables();
  if (variables.length === 0) {
    graph.dispose();
    throw new EngineFailure('mismatch', `none of the layers to train has parameters: ${trainLayers.join(', ')}`);
  }
  const momentum = settings.optimizer === 'sgd' ? tf.train.momentum(settings.learningRate, settings.momentum, true) : null;
  const optimizer = momentum ?? tf.train.adam(settings.learningRate);
  // Adam reads its plain `learningRate` field on every step; it has no setter.
  const setLearningRate = (lr: number) => (momentum ? momentum.setLearningRate(lr) : ((optimizer as unknown as { learningRate: number }).learningRate = lr));
  const prefixEnd = graph.frozenPrefixEnd();
  const history: FinetuneInfo['history'] = [];
  let best: { accuracy: number; values: tf.Tensor[] } | null = null;
  let stoppedEarly = false;
  let trainedSamples = 0;
  let trainingMs = 0;
  const source = await batchSource(graph, trainData, [0, trainEnd], settings, ctx);
  try {
    const stepsPerEpoch = Math.max(1, Math.floor(trainEnd / settings.batchSize));
    const totalSteps = stepsPerEpoch * settings.epochs;
    let done = 0;
    let lastReport = 0;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      setLearningRate(settings.learningRate * settings.learningRateDecay ** epoch);
      let lossSum = 0;
      let lossCount = 0;
      let step = 0;
      for await (const batch of source.epoch(epoch)) {
        if (ctx.signal.aborted) tf.dispose([batch.x, batch.y]);
        throwIfCancelled(ctx);
        const began = performance.now();
        const batchStats = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
        const loss = optimizer.minimize(() => {
          const logits = graph.forward(batch.x, {
            training: settings.batchNorm === 'batch', from: prefixEnd, logits: true, batchStats, dropoutSeed: settings.seed + done,
          });
          const dataLoss = tf.losses.softmaxCrossEntropy(batch.y, logits);
          if (settings.weightDecay === 0) return dataLoss as tf.Scalar;
          const penalty = tf.addN(variables.map((v) => tf.sum(tf.square(v))));
          return tf.add(dataLoss, tf.mul(penalty, settings.weightDecay / 2)) as tf.Scalar;
        }, true, variables)!;
        graph.updateMovingStats(batchStats);
        tf.dispose([...batchStats.values()].flatMap((s) => [s.mean, s.variance]));
        const lossValue = (await loss.data())[0];
        loss.dispose();
        tf.dispose([batch.x, batch.y]);
        trainingMs += performance.now() - began;
        if (!Number.isFinite(lossValue)) throw new EngineFailure('internal', `fine-tuning diverged at epoch ${epoch + 1}, step ${step + 1} (loss ${lossValue}); try a lower learning rate`);
        trainedSamples += batch.size;
        lossSum += lossValue;
        lossCount++;
        step++;
        done++;
        const now = performance.now();
        if (now - lastReport > 500) {
          lastReport = now;
          const perStep = trainingMs / done;
          ctx.progress({
            stage: 'finetune', epoch: epoch + 1, epochs: settings.epochs, step, steps: stepsPerEpoch, loss: lossSum / lossCount,
            fraction: Math.min(1, done / totalSteps), etaSeconds: Math.max(0, (totalSteps - done) * perStep) / 1000,
          });
        }
      }
      const accuracy = heldOut > 0 ? await graphAccuracy(graph, trainData, trainEnd, trainData.size, ctx) : null;
      history.push({ epoch: epoch + 1, loss: lossCount ? lossSum / lossCount : NaN, heldOutAccuracy: accuracy });
      ctx.progress({ stage: 'finetune', epoch: epoch + 1, epochs: settings.epochs, loss: lossSum / lossCount, accuracy: accuracy ?? undefined, fraction: done / totalSteps });
      if (accuracy !== null) {
        if (!best || accuracy > best.accuracy) {
          if (best) tf.dispose(best.values);
          best = { accuracy, values: graph.snapshot() };
        } else if (history.length - history.findIndex((h) => h.heldOutAccuracy === best!.accuracy) > settings.patience) {
          stoppedEarly = epoch < settings.epochs - 1;
          break;
        }
      }
    }
    if (best) graph.restore(best.values);
    if (settings.batchNorm === 'batch' && settings.batchNormStatistics === 'reestimate') {
      await reestimateMovingStats(graph, source, prefixEnd, settings.epochs, ctx);
    }
    throwIfCancelled(ctx);
    graph.writeBack();
  } finally {
    if (best) tf.dispose(best.values);
    source.dispose();
    optimizer.dispose();
    // MomentumOptimizer.dispose() skips its parent's learning-rate scalar (tfjs 4.22).
    (momentum as unknown as { c?: tf.Tensor } | null)?.c?.dispose();
    graph.dispose();
  }
  return {
    epochs: history.length,
    optimizer: settings.optimizer,
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    trainLayers,
    trainData: trainData.info,
    samplesPerSecond: trainingMs > 0 ? trainedSamples / (trainingMs / 1000) : 0,
    history,
    stoppedEarly,
  };
}
