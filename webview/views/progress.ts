// Live progress of running jobs: stage, layer, epoch, loss, ETA, and a cancel button.
import type { JobProgress } from '../../src/protocol/engine';
import type { WebviewToHost } from '../../src/protocol/webview';
import { h } from '../dom';

export interface RunningJob {
  jobId: number;
  title: string;
  progress: JobProgress;
  ended?: { outcome: 'done' | 'failed' | 'cancelled'; message?: string };
}

function eta(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function renderJobs(jobs: RunningJob[], post: (m: WebviewToHost) => void): HTMLElement | null {
  if (!jobs.length) return null;
  return h('section', { class: 'jobs', 'aria-label': 'Running jobs' }, ...jobs.map((job) => {
    const p = job.progress;
    const parts = [p.stage, p.layer && `layer ${p.layer}`, p.epoch !== undefined && `epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`, p.step !== undefined && `step ${p.step}${p.steps ? `/${p.steps}` : ''}`, p.loss !== undefined && `loss ${p.loss.toFixed(4)}`, p.accuracy !== undefined && `acc ${(p.accuracy * 100).toFixed(1)}%`, p.etaSeconds !== undefined && `ETA ${eta(p.etaSeconds)}`].filter(Boolean) as string[];
    const bar = h('vscode-progress-bar', { 'aria-label': job.title });
    if (p.fraction !== undefined) (bar as HTMLElement & { value: number; max: number }).value = p.fraction * 100;
    else bar.setAttribute('indeterminate', '');
    return h('div', { class: `job ${job.ended ? `ended-${job.ended.outcome}` : ''}`, 'data-testid': `job-${job.jobId}` },
      h('div', { class: 'job-title' }, job.title),
      job.ended ? null : bar,
      h('div', { class: 'job-detail' }, job.ended ? `${job.ended.outcome}${job.ended.message ? `: ${job.ended.message}` : ''}` : parts.join(' · ')),
      p.message && !job.ended ? h('div', { class: 'muted' }, p.message) : null,
      job.ended ? null : h('vscode-button', { secondary: true, onclick: () => post({ type: 'cancelJob', jobId: job.jobId }) }, 'Cancel'),
    );
  }));
}
