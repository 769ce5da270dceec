// Shared by the reliability tests: the bad-input corpus (test/fixtures/bad/cases.json) and how to
// run one entry through the engine's jobs.
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runJob } from '../../../src/engine/jobs';
import { quietContext } from '../../../src/engine/core/context';

export const repoRoot = path.resolve(__dirname, '../../..');
export const badDir = path.join(repoRoot, 'test/fixtures/bad');
export const tinyModel = path.join(repoRoot, 'test/fixtures/tiny/model.json');
export const goodData = path.join(badDir, 'good-idx');

export interface BadCase {
  file: string;
  job: 'inspect' | 'evaluate';
  model: string;
  data?: string;
  code: string;
  message: string;
  what: string;
}

/** Synchronous, so test files can declare one test per case at load time. */
export function loadCases(): BadCase[] {
  const manifest = JSON.parse(readFileSync(path.join(badDir, 'cases.json'), 'utf8')) as { cases: BadCase[] };
  return manifest.cases;
}

export function resolveCase(c: BadCase): { model: string; data?: string } {
  return { model: path.resolve(badDir, c.model), data: c.data === undefined ? undefined : path.resolve(badDir, c.data) };
}

/** Runs the case's job; resolves with the job's result when it (wrongly) succeeds. */
export function runCase(c: BadCase): Promise<unknown> {
  const { model, data } = resolveCase(c);
  if (c.job === 'inspect') return runJob('inspect', { model }, quietContext());
  return runJob('evaluate', { model, data: data! }, quietContext());
}

/** Every file (with size and mtime) and folder under `dir`, sorted: to prove nothing was written. */
export async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) {
        out.push(`${rel}/`); // an empty folder left behind counts as output too
        await walk(rel);
      } else {
        const stat = await fs.stat(path.join(dir, rel));
        out.push(`${rel} ${stat.size} ${stat.mtimeMs}`);
      }
    }
  };
  await walk('');
  return out.sort();
}

/** The folder a case's files live in (the model's folder, or the dataset's). */
export function caseFolder(c: BadCase): string {
  const target = path.resolve(badDir, c.job === 'inspect' ? c.model : c.data!);
  return path.extname(target) && !target.endsWith('-idx') ? path.dirname(target) : target;
}
