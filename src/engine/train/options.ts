// Fine-tuning settings, their METHOD.md §8 defaults, and the default choice of layers to train.
import type { MaskSet } from '../graph/masks';
import { hasKernel, type Step } from './steps';

export interface FinetuneOptions {
  epochs: number;
  /** Default 64. */
  batchSize?: number;
  /** Default 'sgd' (Nesterov). */
  optimizer?: 'sgd' | 'adam';
  /**
   * Multiplied by `learningRateDecay` after each epoch. Default for SGD: 0.01 (METHOD.md §8) when
   * the default layers train around masked ones, else 0.001 (see `defaultLearningRate`); Adam 0.001.
   */
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
  /**
   * With `batchNorm: 'batch'`, what the moving statistics of the BatchNorm layers that trained end
   * as: 'reestimate' (default) measures them afresh on up to `REESTIMATE_BATCHES` training batches
   * with the final weights; 'momentum' keeps the running blend of training (Keras's and PyTorch's
   * update, m ← m·momentum + batch·(1−momentum)), which after a short run still describes mostly the
   * weights from before it (momentum 0.99 keeps 54% of the old statistics after 62 steps).
   */
  batchNormStatistics?: 'reestimate' | 'momentum';
  /** Memory allowed for caching the frozen prefix's activations (default 1 GiB). */
  cacheBytes?: number;
}

/** Training batches (at most) the BatchNorm statistics are re-estimated on after training. */
export const REESTIMATE_BATCHES = 40;

export type ResolvedOptions = Required<Omit<FinetuneOptions, 'trainLayers' | 'augment'>> & {
  augment: { flip: boolean; shift: number };
};

/**
 * SGD's default learning rate. METHOD.md §8's η = 0.01 (μ 0.95) is the paper's for the blocks
 * around a pruned connection, which is what the default layer choice trains. Moving every layer of
 * a network at that rate is another regime: on the Keras-made zoo (Adam-trained, as most Keras
 * models are), one epoch with every layer training at 0.01 cost 3–5 pp, pruned or not, where 0.001
 * kept or gained accuracy (docs/benchmarks.md §7c; Keras's own fit does the same at 0.01). So the
 * paper's rate applies to the paper's choice; any other set of layers (the caller's list, or every
 * layer when nothing is masked) starts at a tenth of it.
 */
export function defaultLearningRate(optimizer: 'sgd' | 'adam', paperLayers: boolean): number {
  if (optimizer === 'adam') return 0.001;
  return paperLayers ? 0.01 : 0.001;
}

/** `paperLayers`: the default layer choice trains, around at least one masked layer. */
export function resolveOptions(options: FinetuneOptions, paperLayers = true): ResolvedOptions {
  const optimizer = options.optimizer ?? 'sgd';
  return {
    epochs: options.epochs,
    batchSize: options.batchSize ?? 64,
    optimizer,
    learningRate: options.learningRate ?? defaultLearningRate(optimizer, paperLayers),
    learningRateDecay: options.learningRateDecay ?? 0.975,
    momentum: options.momentum ?? 0.95,
    weightDecay: options.weightDecay ?? 1e-3,
    seed: options.seed ?? 0,
    augment: { flip: options.augment?.flip ?? false, shift: options.augment?.shift ?? 0 },
    heldOutFraction: options.heldOutFraction ?? 0,
    patience: options.patience ?? 2,
    batchNorm: options.batchNorm ?? 'batch',
    batchNormStatistics: options.batchNormStatistics ?? 'reestimate',
    cacheBytes: options.cacheBytes ?? 2 ** 30,
  };
}

/**
 * The paper trains the blocks on both sides of each pruned connection (METHOD.md §8, §14): every
 * masked layer, the weight layers feeding it (back through layers without kernels, along every
 * branch), and the BatchNorm layers of those blocks (forward from each chosen weight layer until
 * the next one). On a chain that is the masked layer, the one before it and their BatchNorms.
 * With no masks, every layer with parameters trains.
 */
export function defaultTrainLayers(steps: Step[], masks: MaskSet): string[] {
  const inOrder = (chosen: Set<string>) => [...new Set(steps.map((s) => s.layer))].filter((name) => chosen.has(name));
  if (masks.length === 0) return inOrder(new Set(steps.filter((s) => hasKernel(s) || s.kind === 'batchnorm').map((s) => s.layer)));
  const producer = new Map(steps.map((s) => [s.output, s]));
  const readers = new Map<string, Step[]>();
  for (const step of steps) for (const t of step.inputs) readers.set(t, [...(readers.get(t) ?? []), step]);
  const chosen = new Set<string>();
  for (const mask of masks) {
    const masked = steps.find((s) => s.layer === mask.layer && hasKernel(s));
    if (!masked) continue;
    chosen.add(masked.layer);
    walk(masked.inputs, (t) => {
      const step = producer.get(t);
      if (!step) return [];
      if (!hasKernel(step)) return step.inputs;
      chosen.add(step.layer);
      return [];
    });
  }
  for (const owner of steps.filter((s) => hasKernel(s) && chosen.has(s.layer))) {
    walk([owner.output], (t) => (readers.get(t) ?? []).filter((s) => !hasKernel(s)).map((s) => {
      if (s.kind === 'batchnorm') chosen.add(s.layer);
      return s.output;
    }));
  }
  return inOrder(chosen);
}

/** Visits tensor ids from `start`, each once, following `next`. */
function walk(start: string[], next: (tensor: string) => string[]): void {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push(...next(t));
  }
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
