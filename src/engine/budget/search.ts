// The attempts of one method under the budget. Every attempt applies an allocation, re-estimates
// BatchNorm, fine-tunes with the masks held and measures top-1 on both parts of the split.
//
// 1. Grow (calibration decides): the first allocation is the one whose predicted drop is within
//    the budget itself. Fine-tuning usually wins back part of what the curves (measured without
//    it) predict, so while an attempt stays within the budget on calibration data the allocation
//    budget is multiplied by 4; after the first attempt that does not, the allocation budget is
//    bisected (geometrically) between the last passing and the first failing one.
// 2. Verify and back off: the largest passing attempt is the candidate. It is kept when its
//    held-out drop is within the budget too; otherwise (or when nothing passed on calibration)
//    the global scale of its allocation is bisected in (0, 1): each step multiplies every layer's
//    sparsity by the scale and verifies again; the largest scale within the budget on both parts
//    is kept. When none is, nothing is kept.
// The held-out figures of the growth attempts are recorded for the report, never used to steer.
// `prior` continues a search whose first attempt was already made (method auto's screening).
import type { BudgetAttempt, PruneMethod } from '../../protocol/report';
import { scaled, type Allocation } from './allocate';

export interface AttemptResult {
  calibrationTop1: number;
  heldOutTop1: number;
  /** Share of the objective removed over the whole model, 0..1, as applied. */
  removed: number;
  /** Per-layer sparsity as applied (a threshold search may land above the request). */
  layerSparsity: Record<string, number>;
}

export interface SearchHooks {
  /** Allocation for a predicted-drop budget in pp. */
  allocate(budget: number): Allocation;
  /** Whether a larger budget cannot change `allocation` (every layer at its last point). */
  saturated(allocation: Allocation): boolean;
  /** Applies the per-layer sparsities to the original model, recalibrates, fine-tunes and measures. */
  attempt(layerSparsity: Record<string, number>, label: string): Promise<AttemptResult>;
  /** Called right after an attempt within the budget on both parts: the model holds its weights now. */
  keep(attempt: BudgetAttempt): void;
}

export interface SearchSettings {
  method: PruneMethod;
  maxDrop: number;
  calibrationBefore: number;
  heldOutBefore: number;
  /** Attempts while growing (default 3). */
  growAttempts?: number;
  /** Back-off verifications (default 3). */
  backoffSteps?: number;
}

/** An attempt already made at an allocation budget (method auto's screening), to continue from. */
export interface PriorAttempt {
  budget: number;
  allocation: Allocation;
  attempt: BudgetAttempt;
}

export interface SearchResult {
  attempts: BudgetAttempt[];
  chosen: BudgetAttempt | null;
  /** The first growth attempt, to continue from with `prior`. */
  first: PriorAttempt | null;
}

const pp = (before: number, after: number) => Math.round((before - after) * 100 * 1e4) / 1e4;

export async function searchBudget(hooks: SearchHooks, settings: SearchSettings, prior?: PriorAttempt): Promise<SearchResult> {
  const { maxDrop } = settings;
  const attempts: BudgetAttempt[] = [];
  const calibrationOk = (a: BudgetAttempt) => pp(settings.calibrationBefore, a.calibrationTop1) <= maxDrop;
  const run = async (allocation: Allocation, scale: number, label: string): Promise<BudgetAttempt> => {
    const request = scale === 1 ? allocation.layerSparsity : scaled(allocation.layerSparsity, scale);
    const result = await hooks.attempt(request, label);
    const verifiedDrop = pp(settings.heldOutBefore, result.heldOutTop1);
    const attempt: BudgetAttempt = {
      method: settings.method,
      scale,
      layerSparsity: result.layerSparsity,
      removed: result.removed,
      predictedDrop: Math.round(allocation.predictedDrop * scale * 1e4) / 1e4,
      calibrationTop1: result.calibrationTop1,
      heldOutTop1: result.heldOutTop1,
      verifiedDrop,
      withinBudget: verifiedDrop <= maxDrop,
    };
    attempts.push(attempt);
    if (attempt.withinBudget && calibrationOk(attempt)) hooks.keep(attempt);
    return attempt;
  };

  // 1. Grow on calibration data.
  let passing: PriorAttempt | null = null;
  let failing: PriorAttempt | null = null;
  let first: PriorAttempt | null = null;
  let budget = maxDrop;
  const tried = new Set<string>();
  const record = (done: PriorAttempt): boolean => {
    first ??= done;
    if (calibrationOk(done.attempt)) {
      passing = done;
      if (hooks.saturated(done.allocation)) return false;
    } else {
      failing = done;
      if (!passing) return false;
    }
    budget = failing ? Math.sqrt(passing!.budget * failing.budget) : budget * 4;
    return true;
  };
  let growing = true;
  let grown = 0;
  if (prior) {
    tried.add(JSON.stringify(prior.allocation.layerSparsity));
    growing = record(prior);
    grown++;
  }
  while (growing && grown < (settings.growAttempts ?? 3)) {
    const allocation = hooks.allocate(budget);
    const signature = JSON.stringify(allocation.layerSparsity);
    if (tried.has(signature) || (allocation.removed === 0 && passing)) break;
    tried.add(signature);
    const attempt = await run(allocation, 1, `allocation for ${budget.toFixed(2)} pp predicted`);
    growing = record({ budget, allocation, attempt });
    grown++;
  }

  // 2. Verify on held-out data; back off on the global scale.
  const found = passing as PriorAttempt | null;
  const candidate = found ?? (failing as PriorAttempt | null);
  if (!candidate) return { attempts, chosen: null, first };
  if (found && found.attempt.withinBudget) return { attempts, chosen: found.attempt, first };
  let chosen: BudgetAttempt | null = null;
  let low = 0;
  let high = 1;
  for (let i = 0; i < (settings.backoffSteps ?? 3); i++) {
    const scale = (low + high) / 2;
    const attempt = await run(candidate.allocation, scale, `back-off: scale ${scale}`);
    if (attempt.withinBudget && calibrationOk(attempt)) {
      chosen = attempt;
      low = scale;
    } else {
      high = scale;
    }
  }
  return { attempts, chosen, first };
}
