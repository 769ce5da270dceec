// The trainable form of a chain model: parameters copied out of the LayersModel (tf.Variables for
// the layers that train, constants for the rest), masks multiplied into kernels in the forward
// pass (so masked weights get zero gradient and stay exactly zero), and a write-back that puts
// the trained values, with exact zeros where masked, into the model.
import * as tf from '@tensorflow/tfjs';
import type { MaskSet } from '../graph/masks';
import { batchNormTraining } from './batchNorm';
import { conv2dWithBias } from './convolution';
import { applyActivation, chainOf, maskTensors, type Step } from './network';

interface Params {
  kernel?: tf.Tensor;
  bias?: tf.Tensor;
  gamma?: tf.Tensor;
  beta?: tf.Tensor;
  movingMean?: tf.Tensor;
  movingVariance?: tf.Tensor;
}

export interface ForwardOptions {
  /** Batch statistics for the BatchNorm layers that train; real dropout. */
  training: boolean;
  /** Run steps [from, to) only (default: all). */
  from?: number;
  to?: number;
  /** Leave the final softmax out, for a numerically stable loss. */
  logits?: boolean;
  /** Receives each training-mode BatchNorm layer's batch mean and variance (kept tensors). */
  batchStats?: Map<string, { mean: tf.Tensor; variance: tf.Tensor }>;
  /** Use batch statistics in every BatchNorm layer (BatchNorm re-estimation). */
  allBatchNormFromBatch?: boolean;
  dropoutSeed?: number;
}

export class TrainingGraph {
  readonly steps: Step[];
  readonly layers: tf.layers.Layer[];
  private readonly params = new Map<string, Params>();
  private readonly masks: Map<string, tf.Tensor>;
  private readonly variables: tf.Variable[] = [];

  constructor(model: tf.LayersModel, masks: MaskSet, readonly trainLayers: ReadonlySet<string>) {
    const chain = chainOf(model);
    this.steps = chain.steps;
    this.layers = chain.layers;
    this.masks = maskTensors(this.layers, masks);
    for (const [index, step] of this.steps.entries()) {
      const weights = this.layers[index].getWeights();
      if (weights.length === 0) continue;
      const trains = trainLayers.has(step.layer);
      const mask = this.masks.get(step.layer);
      const own = (value: tf.Tensor, kind: string, masked = false): tf.Tensor => {
        const initial = masked && mask ? exactlyMasked(value, mask) : tf.clone(value);
        if (!trains) return initial;
        const variable = tf.variable(initial, true, `${step.layer}/${kind}/finetune${variableCounter++}`);
        initial.dispose();
        this.variables.push(variable);
        return variable;
      };
      const params: Params = {};
      if (step.kind === 'conv' || step.kind === 'dense') {
        params.kernel = own(weights[0], 'kernel', true);
        if (step.hasBias) params.bias = own(weights[1], 'bias');
      } else if (step.kind === 'batchnorm') {
        let i = 0;
        if (step.hasScale) params.gamma = own(weights[i++], 'gamma');
        if (step.hasCenter) params.beta = own(weights[i++], 'beta');
        params.movingMean = tf.clone(weights[i++]);
        params.movingVariance = tf.clone(weights[i++]);
      }
      this.params.set(step.layer, params);
    }
  }

  trainableVariables(): tf.Variable[] {
    return this.variables;
  }

  /** Index of the first step whose parameters train (steps before it are a fixed function). */
  firstTrainedStep(): number {
    const index = this.steps.findIndex((step) => this.trainLayers.has(step.layer) && this.params.has(step.layer));
    return index < 0 ? this.steps.length : index;
  }

  forward(input: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const from = options.from ?? 0;
    const to = options.to ?? this.steps.length;
    const firstTrained = this.firstTrainedStep();
    let x = input;
    for (let index = from; index < to; index++) {
      const step = this.steps[index];
      const params = this.params.get(step.layer);
      const last = index === this.steps.length - 1;
      const finalActivation = (activation: Parameters<typeof applyActivation>[1]) => (last && options.logits && activation === 'softmax' ? 'linear' : activation);
      switch (step.kind) {
        case 'conv': {
          const kernel = this.effectiveKernel(step.layer, params!);
          x = conv2dWithBias(x as tf.Tensor4D, kernel as tf.Tensor4D, (params!.bias as tf.Tensor1D | undefined) ?? null, {
            strides: step.strides, padding: step.padding, inputGradient: index > firstTrained,
          });
          x = applyActivation(x, finalActivation(step.activation));
          break;
        }
        case 'dense': {
          const kernel = this.effectiveKernel(step.layer, params!);
          x = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
          if (params!.bias) x = tf.add(x, params!.bias);
          x = applyActivation(x, finalActivation(step.activation));
          break;
        }
        case 'batchnorm':
          x = this.batchNorm(x, step, params!, options);
          break;
        case 'activation':
          x = applyActivation(x, finalActivation(step.activation));
          break;
        case 'pool':
          x = step.op === 'max'
            ? tf.maxPool(x as tf.Tensor4D, step.size, step.strides, step.padding)
            : tf.avgPool(x as tf.Tensor4D, step.size, step.strides, step.padding);
          break;
        case 'globalpool':
          x = step.op === 'max' ? tf.max(x, [1, 2]) : tf.mean(x, [1, 2]);
          break;
        case 'flatten':
          x = tf.reshape(x, [x.shape[0], -1]);
          break;
        case 'dropout':
          if (options.training && step.rate > 0 && this.trainLayers.has(step.layer)) x = tf.dropout(x, step.rate, undefined, options.dropoutSeed);
          break;
      }
    }
    return x;
  }

  private effectiveKernel(layer: string, params: Params): tf.Tensor {
    const mask = this.masks.get(layer);
    // Constant kernels were masked when copied; variables are masked on every use.
    return mask && params.kernel instanceof tf.Variable ? tf.mul(params.kernel, mask) : params.kernel!;
  }

  private batchNorm(x: tf.Tensor, step: Extract<Step, { kind: 'batchnorm' }>, params: Params, options: ForwardOptions): tf.Tensor {
    const fromBatch = options.allBatchNormFromBatch || (options.training && this.trainLayers.has(step.layer));
    if (fromBatch) {
      return batchNormTraining(x, params.gamma, params.beta, step.epsilon, (moments) => {
        if (options.batchStats) options.batchStats.set(step.layer, moments);
        else tf.dispose([moments.mean, moments.variance]);
      });
    }
    return tf.batchNorm(x, params.movingMean!, params.movingVariance!, params.beta, params.gamma, step.epsilon);
  }

  /** Blend batch statistics into the moving ones as Keras does: m ← m·momentum + b·(1−momentum). */
  updateMovingStats(batchStats: Map<string, { mean: tf.Tensor; variance: tf.Tensor }>, momentum?: number): void {
    for (const [layer, stats] of batchStats) {
      const params = this.params.get(layer)!;
      const step = this.steps.find((s) => s.layer === layer) as Extract<Step, { kind: 'batchnorm' }>;
      const m = momentum ?? step.momentum;
      const blend = (old: tf.Tensor, fresh: tf.Tensor) => tf.tidy(() => tf.add(tf.mul(old, m), tf.mul(fresh, 1 - m)));
      const mean = blend(params.movingMean!, stats.mean);
      const variance = blend(params.movingVariance!, stats.variance);
      params.movingMean!.dispose();
      params.movingVariance!.dispose();
      params.movingMean = mean;
      params.movingVariance = variance;
    }
  }

  /** Replace the moving statistics of one BatchNorm layer (re-estimation). */
  setMovingStats(layer: string, mean: tf.Tensor, variance: tf.Tensor): void {
    const params = this.params.get(layer)!;
    params.movingMean!.dispose();
    params.movingVariance!.dispose();
    params.movingMean = mean;
    params.movingVariance = variance;
  }

  /** Current values of all parameters, for restoring the best epoch. */
  snapshot(): tf.Tensor[] {
    return this.variables.map((v) => tf.clone(v));
  }

  restore(values: tf.Tensor[]): void {
    this.variables.forEach((v, i) => v.assign(values[i]));
  }

  /** Write every parameter back into the model's layers, masked kernels with exact zeros. */
  writeBack(): void {
    for (const [index, step] of this.steps.entries()) {
      const params = this.params.get(step.layer);
      if (!params) continue;
      const values = tf.tidy(() => {
        const list: tf.Tensor[] = [];
        if (params.kernel) {
          const mask = this.masks.get(step.layer);
          list.push(mask ? exactlyMasked(params.kernel, mask) : tf.clone(params.kernel));
        }
        for (const t of [params.bias, params.gamma, params.beta, params.movingMean, params.movingVariance]) if (t) list.push(tf.clone(t));
        return list;
      });
      this.layers[index].setWeights(values);
      tf.dispose(values);
    }
  }

  dispose(): void {
    for (const params of this.params.values()) tf.dispose(Object.values(params) as tf.Tensor[]);
    this.params.clear();
    tf.dispose([...this.masks.values()]);
    this.masks.clear();
    this.variables.length = 0;
  }
}

let variableCounter = 0;

/** Masked values as +0 (a product w·0 would give −0 for negative w). */
function exactlyMasked(value: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.where(tf.greater(mask, 0), value, tf.zerosLike(value)));
}
