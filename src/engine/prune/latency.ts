// Inference latency of two models on the current backend: the input model (or the masked one,
// which has the same shapes and so the same cost on a dense backend) against the written one.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import type { LatencyInfo } from '../../protocol/report';

export interface LatencyOptions {
  batches?: number[];
  /** Timed calls per model and batch size (default 7); the median is reported. */
  runs?: number;
  /** Untimed calls per model first: the backend compiles and allocates on the first ones. */
  warmup?: number;
}

async function timedPredict(model: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const start = performance.now();
  const y = model.predict(x) as tf.Tensor;
  // Reading the result waits for the backend to finish the work (wasm runs it synchronously).
  await y.data();
  const ms = performance.now() - start;
  y.dispose();
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Milliseconds of two timed calls (each returns its own duration): `warmup` untimed rounds of both,
 * then `runs` rounds that alternate between them, so a busy machine slows both alike rather than
 * whichever happened to run during a burst of load. Median and fastest of each.
 */
export async function timeAlternately(
  before: () => Promise<number>,
  after: () => Promise<number>,
  runs: number,
  warmup: number,
): Promise<Pick<LatencyInfo, 'beforeMs' | 'afterMs' | 'runs' | 'beforeMinMs' | 'afterMinMs'>> {
  for (let i = 0; i < warmup; i++) {
    await before();
    await after();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await before());
    b.push(await after());
  }
  return { beforeMs: round(median(a)), afterMs: round(median(b)), runs, beforeMinMs: round(Math.min(...a)), afterMinMs: round(Math.min(...b)) };
}

/** Median milliseconds per predict call of `before` and `after` for each batch size (timeAlternately). */
export async function measureLatency(
  before: tf.LayersModel,
  after: tf.LayersModel,
  options: LatencyOptions = {},
): Promise<LatencyInfo[]> {
  const runs = options.runs ?? 7;
  const warmup = options.warmup ?? 2;
  const shape = (before.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const result: LatencyInfo[] = [];
  for (const batch of options.batches ?? [1, 64]) {
    const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 17);
    try {
      result.push({ batch, ...(await timeAlternately(() => timedPredict(before, x), () => timedPredict(after, x), runs, warmup)) });
    } finally {
      x.dispose();
    }
  }
  return result;
}
