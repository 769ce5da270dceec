// Running independent pieces of a benchmark in child processes, at most `workers` at a time, so a
// bench whose pieces are single-threaded (fine-tuning on wasm) keeps both cores busy. Each child
// gets QUENCH_THREADS=1: evaluation and the SFP forward passes then stay
// on one thread, so two children do not oversubscribe 2 cores.
import { spawn } from 'node:child_process';
import * as os from 'node:os';

/** One compare job: these methods at this target sparsity with this seed. */
export interface CompareTask { seed: number; methods: string[]; targetSparsity: number }

/** Workers by default: one per core, at most 2 (the machine the tables are measured on). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

/**
 * Seeds × methods as compare jobs for `workers` processes. Whole seeds where they divide evenly
 * over the workers; the seeds left over are split by methods into `workers` parts, so the last
 * round keeps every worker busy (each part repeats the seed's SFP analysis, which is cheaper than
 * a worker idling through a whole seed). Whole seeds come first: longest jobs first.
 */
export function compareSchedule(seeds: number[], methods: string[], targetSparsity: number, workers: number): CompareTask[] {
  const whole = workers > 1 ? seeds.length - (seeds.length % workers) : seeds.length;
  const tasks: CompareTask[] = seeds.slice(0, whole).map((seed) => ({ seed, methods, targetSparsity }));
  const parts = Math.min(workers, methods.length);
  for (const seed of seeds.slice(whole)) {
    for (let p = 0; p < parts; p++) {
      const from = Math.round((p * methods.length) / parts);
      const to = Math.round(((p + 1) * methods.length) / parts);
      tasks.push({ seed, methods: methods.slice(from, to), targetSparsity });
    }
  }
  return tasks;
}

/** Runs `argsFor(task)` as Node children, `workers` at a time; resolves in task order, rejects on the first failure. */
export async function runPool<T>(tasks: T[], workers: number, argsFor: (task: T, index: number) => string[], cwd: string): Promise<void> {
  let next = 0;
  const env = { ...process.env, QUENCH_THREADS: '1' };
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, argsFor(tasks[index]!, index), { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
        child.on('error', reject);
        child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`child ${index} (${JSON.stringify(tasks[index])}) failed (${code ?? signal})`))));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, tasks.length) }, worker));
}
