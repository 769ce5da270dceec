// Fine-tuning settings, their METHOD.md §8 defaults, and the default choice of layers to train.
import type { MaskSet } from '../graph/masks';
import type { Step } from './network';

export interface FinetuneOptions {
  epochs: number;
  /** Default 64. */
  batchSize?: number;
  /** Default 'sgd' (Nesterov). */
  optimizer?: 'sgd' | 'adam';
  /** Default 0.01 for SGD, 0.001 for Adam; multiplied by `learningRateDecay` after each epoch. */
  learningRate?: number;
  /** Default 0.975 (METHOD.md §8). */
  learningRateDecay?: number;
  /** SGD momentum, default 0.95. */
  momentum?: number;
  /**
   * PyTorch-style weight decay α (default 1e-3), applied as the loss term α/2·Σw² so the
   * gradient gets α·w, as METHOD.md §11 says.
   */
  weightDecay?: number;
  /** Layer names whose parameters train; default: the masked layers and their neighbours. */
  trainLayers?: string[];
  seed?: number;
  augment?: { flip?: boolean; shift?: number };
  /** Fraction of the training data held out for accuracy and early stopping (default 0: none). */
  heldOutFraction?: number;
  /** Stop after this many epochs without held-out improvement and keep the best (default 2). */
  patience?: number;
  /**
   * BatchNorm layers that train: 'batch' normalises with batch statistics and updates the
   * moving ones (Keras/PyTorch training mode); 'frozen' keeps the moving statistics and trains
   * only scale and offset. Default 'batch'.
   */
  batchNorm?: 'batch' | 'frozen';
  /** Memory allowed for caching the frozen prefix's activations (default 1 GiB). */
  cacheBytes?: number;
}

export type ResolvedOptions = Required<Omit<FinetuneOptions, 'trainLayers' | 'augment'>> & {
  augment: { flip: boolean; shift: number };
};

export function resolveOptions(options: FinetuneOptions): ResolvedOptions {
  const optimizer = options.optimizer ?? 'sgd';
  return {
    epochs: options.epochs,
    batchSize: options.batchSize ?? 64,
    optimizer,
    learningRate: options.learningRate ?? (optimizer === 'sgd' ? 0.01 : 0.001),
    learningRateDecay: options.learningRateDecay ?? 0.975,
    momentum: options.momentum ?? 0.95,
    weightDecay: options.weightDecay ?? 1e-3,
    seed: options.seed ?? 0,
    augment: { flip: options.augment?.flip ?? false, shift: options.augment?.shift ?? 0 },
    heldOutFraction: options.heldOutFraction ?? 0,
    patience: options.patience ?? 2,
    batchNorm: options.batchNorm ?? 'batch',
    cacheBytes: options.cacheBytes ?? 2 ** 30,
  };
}

/**
 * The paper trains the blocks on both sides of each pruned connection (METHOD.md §8, §14): every
 * masked layer, the weight layer feeding it, and the BatchNorm layers of those blocks. With no
 * masks, every layer trains.
 */
export function defaultTrainLayers(steps: Step[], masks: MaskSet): string[] {
  const weighted = steps.filter((s) => s.kind === 'conv' || s.kind === 'dense').map((s) => s.layer);
  if (masks.length === 0) return steps.filter((s) => s.kind === 'conv' || s.kind === 'dense' || s.kind === 'batchnorm').map((s) => s.layer);
  const chosen = new Set<string>();
  for (const mask of masks) {
    const at = weighted.indexOf(mask.layer);
    if (at < 0) continue;
    chosen.add(mask.layer);
    if (at > 0) chosen.add(weighted[at - 1]);
  }
  // A BatchNorm layer belongs to the block of the weight layer before it.
  let owner: string | null = null;
  for (const step of steps) {
    if (step.kind === 'conv' || step.kind === 'dense') owner = step.layer;
    else if (step.kind === 'batchnorm' && owner && chosen.has(owner)) chosen.add(step.layer);
  }
  return steps.map((s) => s.layer).filter((name) => chosen.has(name));
}

/** The engine's one seeded generator (mulberry32), for shuffles and augmentation. */
export { mulberry32 as seededRandom } from '../core/random';

export function permutation(n: number, random: () => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
