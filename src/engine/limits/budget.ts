// The engine's memory budget: one number (MB) that every reader and job sizes itself against.
// Set by the extension's quench.maxMemoryMB (as --max-memory-mb, which the engine copies into
// QUENCH_MAX_MEMORY_MB) or by the environment for the CLI; unset means DEFAULT_MEMORY_BUDGET_MB.
import { EngineFailure } from '../core/errors';

export const DEFAULT_MEMORY_BUDGET_MB = 2048;
const MB = 1024 * 1024;

/** The budget in MB: QUENCH_MAX_MEMORY_MB when it is a positive number, else the default. */
export function memoryBudgetMB(): number {
  const raw = process.env['QUENCH_MAX_MEMORY_MB'];
  const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : DEFAULT_MEMORY_BUDGET_MB;
}

export function memoryBudgetBytes(): number {
  return memoryBudgetMB() * MB;
}

/** 1536 → "1.5 KB", 1e11 → "93.1 GB": sizes people can compare at a glance. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The sentence every refusal ends with, so users learn where the budget comes from. */
export function budgetPhrase(): string {
  return `the engine's memory budget of ${memoryBudgetMB()} MB (setting quench.maxMemoryMB, or QUENCH_MAX_MEMORY_MB for the CLI)`;
}

/** Throws 'too-large' when `bytes` of `what` would not fit the budget; checked before allocating. */
export function assertFitsBudget(bytes: number, what: string, file?: string): void {
  if (!(bytes <= memoryBudgetBytes())) {
    throw new EngineFailure('too-large', `${what} needs ${formatBytes(bytes)}, over ${budgetPhrase()}`, file);
  }
}

export interface BatchSizeRequest {
  /** Bytes one sample occupies at its largest point (input + activations, float32). */
  bytesPerSample: number;
  /** The batch size wanted when memory allows (the job's default). */
  preferred: number;
  /** Share of the budget batches may take; the model's weights and the process need the rest. */
  budgetShare?: number;
}

/**
 * The largest batch size ≤ preferred whose samples fit `budgetShare` of the budget (a power of two
 * when it has to shrink, at least 1). One sample larger than that share is still one sample: the
 * caller learns the budget is tight from `fits`.
 */
export function pickBatchSize(request: BatchSizeRequest): { batchSize: number; fits: boolean } {
  const share = request.budgetShare ?? 0.25;
  const available = memoryBudgetBytes() * share;
  const perSample = Math.max(1, request.bytesPerSample);
  const preferred = Math.max(1, Math.floor(request.preferred));
  if (perSample * preferred <= available) return { batchSize: preferred, fits: true };
  let size = 1;
  while (size * 2 <= preferred && size * 2 * perSample <= available) size *= 2;
  return { batchSize: size, fits: perSample <= available };
}
