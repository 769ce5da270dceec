// The channel between the extension host and the panel webview. Types only.

import type { JobProgress } from './engine';
import type { Report, SfpMatricesFile } from './report';

export interface RunSummary {
  /** File name under .quench/runs/. */
  id: string;
  kind: Report['kind'];
  createdAt: string;
  method?: string;
  sparsity?: number;
  top1Delta?: number;
}

export interface PanelState {
  runId?: string;
  selectedLayer?: string;
  tab?: string;
}

/** One sentence of a run's honest outcome (zeroed vs removed, what it buys in TF.js). */
export interface OutcomeLine {
  kind: 'zeroed' | 'removed' | 'speed' | 'size' | 'latency' | 'note';
  text: string;
}

// ---- host -> webview ----
export type HostToWebview =
  | { type: 'report'; runId: string; report: Report; matrices?: SfpMatricesFile; history: RunSummary[]; outcome?: OutcomeLine[] }
  | { type: 'diff'; left: Report; right: Report }
  | { type: 'progress'; jobId: number; title: string; progress: JobProgress }
  | { type: 'jobEnded'; jobId: number; outcome: 'done' | 'failed' | 'cancelled'; message?: string }
  | { type: 'selectLayer'; name: string }
  | { type: 'theme'; kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' }
  /** One layer's SFP matrices, Float32 [filters, C, C] row-major, sent on demand (large). */
  | { type: 'matrices'; runId: string; layer: string; classes: number; filters: number; data: Float32Array }
  /** The requested layer has no stored matrices (the run was made without --matrices). */
  | { type: 'noMatrices'; runId: string; layer: string; reason: string };

// ---- webview -> host ----
export type WebviewToHost =
  | { type: 'ready'; state?: PanelState }
  | { type: 'cancelJob'; jobId: number }
  | { type: 'revealOutput'; path: string }
  | { type: 'selectLayer'; name: string }
  | { type: 'openRun'; runId: string }
  | { type: 'diffRuns'; left: string; right: string }
  | { type: 'export'; format: 'markdown' | 'html' | 'json'; html?: string }
  | { type: 'rerun'; command: 'prune' | 'analyze' | 'compare' }
  | { type: 'requestMatrices'; runId: string; layer: string };
