// One job-level progress fraction. Each step of a job (evaluate, SFP, fine-tune, export, ...)
// reports its own 0..1; the job declares its steps and their rough weights up front, and every
// report made while a step runs is placed inside that step's share of the whole job, so the bar
// moves once from 0 to 1 instead of filling up at the first evaluation.
import type { JobContext } from '../core/context';

/** The steps a job (prune, compare, sweep, the budget search) composes, in the order they run. */
export type PipelineStep =
  | 'load'
  | 'evaluate'
  | 'analyse'
  | 'plan'
  | 'apply'
  | 'recalibrate'
  | 'fine-tune'
  | 'restructure'
  | 'export'
  | 'verify';

export interface PlannedStep {
  step: PipelineStep;
  /** Rough relative cost; only the ratios matter. */
  weight: number;
}

export class JobProgress {
  private readonly starts: number[] = [];
  private readonly total: number;
  private current = -1;
  private reached = 0;
  /** The context to hand to the code of the current step: its fractions become the job's. */
  readonly ctx: JobContext;

  constructor(private readonly outer: JobContext, private readonly plan: PlannedStep[]) {
    let sum = 0;
    for (const p of plan) {
      this.starts.push(sum);
      sum += p.weight;
    }
    this.total = sum || 1;
    this.ctx = {
      signal: outer.signal,
      log: (level, message) => outer.log(level, message),
      progress: (progress) => outer.progress({ ...progress, fraction: this.fractionOf(progress.fraction) }),
    };
  }

  /** Marks the start of the next planned occurrence of `step` (steps may repeat, e.g. evaluate). */
  enter(step: PipelineStep, message?: string): void {
    const next = this.plan.findIndex((p, i) => i > this.current && p.step === step);
    if (next < 0) throw new Error(`job progress: step "${step}" is not planned after step ${this.current}`);
    this.current = next;
    this.outer.progress({ stage: step, ...(message ? { message } : {}), fraction: this.fractionOf(0) });
  }

  /** `local` (0..1 of the current step, or none) as a fraction of the whole job, never going back. */
  private fractionOf(local: number | undefined): number {
    if (this.current < 0) return this.reached;
    const share = this.plan[this.current]!.weight / this.total;
    const at = this.starts[this.current]! / this.total + share * Math.min(1, Math.max(0, local ?? 0));
    this.reached = Math.max(this.reached, at);
    return this.reached;
  }
}

/**
 * A context whose 0..1 is [from, to] of `outer`'s: the parts of one planned step that runs many
 * inner steps (the budget search's evaluations and fine-tunings) each get their own slice.
 */
export function scoped(outer: JobContext, from: number, to: number): JobContext {
  return {
    signal: outer.signal,
    log: (level, message) => outer.log(level, message),
    progress: (progress) => outer.progress({ ...progress, fraction: from + (to - from) * Math.min(1, Math.max(0, progress.fraction ?? 0)) }),
  };
}
