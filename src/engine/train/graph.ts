// The trainable form of a model graph: parameters copied out of the LayersModel (tf.Variables for
// the layers that train, constants for the rest), masks multiplied into kernels in the forward
// pass (so masked weights get zero gradient and stay exactly zero), and a write-back that puts
// the trained values, with exact zeros where masked, into the model's (possibly nested) layers.
import * as tf from '@tensorflow/tfjs';
import type { MaskSet } from '../graph/masks';
import { batchNormTraining } from './batchNorm';
import { conv2dWithBias } from './convolution';
import { depthwiseConv2dWithBias } from './depthwise';
import { maskedWeightIndex, maskTensors, networkOf, singleTensorCuts, type Network, type Step } from './network';
import { applyActivation, applyShapeStep, mergeTensors } from './ops';
import type { Activation } from './steps';

interface Params {
  /** SeparableConv2D's depthwise half (its pointwise kernel is `kernel`). */
  depthwiseKernel?: tf.Tensor;
  /** The kernel masks apply to. */
  kernel?: tf.Tensor;
  bias?: tf.Tensor;
  gamma?: tf.Tensor;
  beta?: tf.Tensor;
  movingMean?: tf.Tensor;
  movingVariance?: tf.Tensor;
}
/** The layer's own weight order (getWeights / setWeights). */
const WEIGHT_ORDER = ['depthwiseKernel', 'kernel', 'bias', 'gamma', 'beta', 'movingMean', 'movingVariance'] as const;

type BatchStats = Map<string, { mean: tf.Tensor; variance: tf.Tensor }>;

export interface ForwardOptions {
  /** Batch statistics for the BatchNorm layers that train; real dropout. */
  training: boolean;
  /** Run steps [from, to) only (default: all); both must be cuts with one live tensor (frozenPrefixEnd is one). */
  from?: number;
  to?: number;
  /** Leave the final softmax out, for a numerically stable loss. */
  logits?: boolean;
  /** Receives each training-mode BatchNorm layer's batch mean and variance (kept tensors). */
  batchStats?: BatchStats;
  /** Use batch statistics in every BatchNorm layer (BatchNorm re-estimation). */
  allBatchNormFromBatch?: boolean;
  /** Real dropout in the layers that train (default: when `training`); off to measure statistics. */
  dropout?: boolean;
  dropoutSeed?: number;
}

export class TrainingGraph {
  readonly steps: Step[];
  readonly layers: tf.layers.Layer[];
  private readonly network: Network;
  private readonly params = new Map<string, Params>();
  private readonly masks: Map<string, tf.Tensor>;
  private readonly variables: tf.Variable[] = [];
  /** Tensor ids whose value depends on a trained parameter (their gradient is needed). */
  private readonly needsGradient = new Set<string>();
  private readonly cuts: (string | null)[];
  /** Per tensor id, the index of the last step reading it. */
  private readonly lastUse = new Map<string, number>();

  constructor(model: tf.LayersModel, masks: MaskSet, readonly trainLayers: ReadonlySet<string>) {
    this.network = networkOf(model);
    this.steps = this.network.steps;
    this.layers = this.network.layers;
    this.cuts = singleTensorCuts(this.network);
    this.steps.forEach((step, index) => step.inputs.forEach((t) => this.lastUse.set(t, index)));
    this.masks = maskTensors(this.network, masks);
    const trained = new Set<string>();
    for (const [index, step] of this.steps.entries()) {
      if (this.params.has(step.layer)) continue;
      const weights = this.layers[index]!.getWeights();
      if (weights.length === 0) continue;
      const trains = trainLayers.has(step.layer);
      const mask = this.masks.get(step.layer);
      const own = (value: tf.Tensor, kind: string, masked = false): tf.Tensor => {
        const initial = masked && mask ? exactlyMasked(value, mask) : tf.clone(value);
        if (!trains) return initial;
        const variable = tf.variable(initial, true, `${step.layer}/${kind}/finetune${variableCounter++}`);
        initial.dispose();
        this.variables.push(variable);
        trained.add(step.layer);
        return variable;
      };
      const params: Params = {};
      if (step.kind === 'separable') params.depthwiseKernel = own(weights[0]!, 'depthwise_kernel');
      if (step.kind === 'conv' || step.kind === 'dense' || step.kind === 'depthwise' || step.kind === 'separable') {
        const at = maskedWeightIndex(step);
        params.kernel = own(weights[at]!, 'kernel', true);
        if (step.hasBias) params.bias = own(weights[at + 1]!, 'bias');
      } else if (step.kind === 'batchnorm') {
        let i = 0;
        if (step.hasScale) params.gamma = own(weights[i++]!, 'gamma');
        if (step.hasCenter) params.beta = own(weights[i++]!, 'beta');
        params.movingMean = tf.clone(weights[i++]!);
        params.movingVariance = tf.clone(weights[i++]!);
      }
      this.params.set(step.layer, params);
    }
    for (const step of this.steps) {
      if (trained.has(step.layer) || step.inputs.some((t) => this.needsGradient.has(t))) this.needsGradient.add(step.output);
    }
  }

  trainableVariables(): tf.Variable[] {
    return this.variables;
  }

  /**
   * Where the training pass starts: steps before it are frozen (their output is a fixed function
   * of the input) and end in one tensor, which can be computed once and cached. On a chain this
   * is the first trained step; on a graph, the last one-tensor cut at or before it.
   */
  frozenPrefixEnd(): number {
    const firstTrained = this.steps.findIndex((step) => this.trainLayers.has(step.layer) && this.params.has(step.layer));
    let end = firstTrained < 0 ? this.steps.length : firstTrained;
    while (end > 0 && this.cuts[end] === null) end--;
    return end;
  }

  forward(input: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const from = options.from ?? 0;
    const to = options.to ?? this.steps.length;
    const [first, last] = [this.cuts[from], this.cuts[to]];
    if (!first || !last) throw new Error(`The forward pass can only run between cuts with one live tensor (asked for steps ${from} to ${to}).`);
    const values = new Map<string, tf.Tensor>([[first, input]]);
    for (let index = from; index < to; index++) {
      const step = this.steps[index]!;
      const inputs = step.inputs.map((t) => values.get(t)!);
      values.set(step.output, this.runStep(step, inputs, options));
      // Each tensor goes as soon as its last reader has run (the tape keeps what gradients need).
      for (const t of new Set(step.inputs)) {
        if (this.lastUse.get(t) !== index || t === last) continue;
        const value = values.get(t)!;
        values.delete(t);
        if (value !== input && ![...values.values()].includes(value)) value.dispose();
      }
    }
    return values.get(last)!;
  }

  private runStep(step: Step, inputs: tf.Tensor[], options: ForwardOptions): tf.Tensor {
    const x = inputs[0]!;
    const params = this.params.get(step.layer);
    const activation = (a: Activation): Activation => (options.logits && step.output === this.network.output && a === 'softmax' ? 'linear' : a);
    const geometry = (s: { strides: [number, number]; padding: 'same' | 'valid' }) => ({
      strides: s.strides, padding: s.padding,
      inputGradient: step.inputs.some((t) => this.needsGradient.has(t)),
      kernelGradient: this.trainLayers.has(step.layer),
    });
    switch (step.kind) {
      case 'conv': {
        const y = conv2dWithBias(x as tf.Tensor4D, this.effectiveKernel(step.layer, params!) as tf.Tensor4D, (params!.bias as tf.Tensor1D | undefined) ?? null, geometry(step));
        return applyActivation(y, activation(step.activation));
      }
      case 'depthwise': {
        const y = depthwiseConv2dWithBias(x as tf.Tensor4D, this.effectiveKernel(step.layer, params!) as tf.Tensor4D, (params!.bias as tf.Tensor1D | undefined) ?? null, geometry(step));
        return applyActivation(y, activation(step.activation));
      }
      case 'separable': {
        const depthwise = depthwiseConv2dWithBias(x as tf.Tensor4D, params!.depthwiseKernel as tf.Tensor4D, null, geometry(step));
        const pointwise = conv2dWithBias(depthwise, this.effectiveKernel(step.layer, params!) as tf.Tensor4D, (params!.bias as tf.Tensor1D | undefined) ?? null, {
          strides: [1, 1], padding: 'valid', inputGradient: this.needsGradient.has(step.output), kernelGradient: this.trainLayers.has(step.layer),
        });
        depthwise.dispose();
        return applyActivation(pointwise, activation(step.activation));
      }
      case 'dense': {
        const kernel = this.effectiveKernel(step.layer, params!) as tf.Tensor2D;
        // Dense over a feature map acts on the last axis.
        let y = x.rank === 2 ? tf.matMul(x as tf.Tensor2D, kernel) : tf.reshape(tf.matMul(tf.reshape(x, [-1, kernel.shape[0]]), kernel), [...x.shape.slice(0, -1), kernel.shape[1]]);
        if (params!.bias) y = tf.add(y, params!.bias);
        return applyActivation(y, activation(step.activation));
      }
      case 'batchnorm':
        return this.batchNorm(x, step, params!, options);
      case 'dropout':
        return options.training && options.dropout !== false && step.rate > 0 && this.trainLayers.has(step.layer) ? tf.dropout(x, step.rate, undefined, options.dropoutSeed) : x;
      case 'merge':
        return mergeTensors(step.op, inputs);
      default:
        return applyShapeStep(step, x, step.kind === 'activation' ? activation(step.activation) : 'linear');
    }
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
        if (!options.batchStats) return tf.dispose([moments.mean, moments.variance]);
        // A shared BatchNorm layer keeps its last call's statistics.
        const earlier = options.batchStats.get(step.layer);
        if (earlier) tf.dispose([earlier.mean, earlier.variance]);
        options.batchStats.set(step.layer, moments);
      });
    }
    return tf.batchNorm(x, params.movingMean!, params.movingVariance!, params.beta, params.gamma, step.epsilon);
  }

  /** The BatchNorm layers (each once, also when shared). */
  batchNormLayers(): string[] {
    return [...new Set(this.steps.filter((s) => s.kind === 'batchnorm').map((s) => s.layer))];
  }

  /** Blend batch statistics into the moving ones as Keras does: m ← m·momentum + b·(1−momentum). */
  updateMovingStats(batchStats: BatchStats, momentum?: number): void {
    for (const [layer, stats] of batchStats) {
      const params = this.params.get(layer)!;
      const step = this.steps.find((s) => s.layer === layer) as Extract<Step, { kind: 'batchnorm' }>;
      const m = momentum ?? step.momentum;
      const blend = (old: tf.Tensor, fresh: tf.Tensor) => tf.tidy(() => tf.add(tf.mul(old, m), tf.mul(fresh, 1 - m)));
      this.setMovingStats(layer, blend(params.movingMean!, stats.mean), blend(params.movingVariance!, stats.variance));
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
    this.variables.forEach((v, i) => v.assign(values[i]!));
  }

  /** Write every parameter back into the model's layers, masked kernels with exact zeros. */
  writeBack(): void {
    for (const [index, step] of this.steps.entries()) {
      const params = this.params.get(step.layer);
      if (!params || this.steps.findIndex((s) => s.layer === step.layer) !== index) continue;
      const values = tf.tidy(() => {
        const mask = this.masks.get(step.layer);
        return WEIGHT_ORDER.flatMap((name) => {
          const value = params[name];
          if (!value) return [];
          return [name === 'kernel' && mask ? exactlyMasked(value, mask) : tf.clone(value)];
        });
      });
      this.layers[index]!.setWeights(values);
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
