// Short human figures for the Models view and messages.
import type { ModelFormat } from '../../protocol/report';

export const FORMAT_LABELS: Record<ModelFormat, string> = {
  'tfjs-layers': 'TF.js',
  'keras-h5': 'Keras .h5',
  'keras-v3': 'Keras 3',
  onnx: 'ONNX',
};

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(n);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} B`;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction >= 0.1 ? 0 : 1)}%`;
}

/** A top-1 change in percentage points, signed: "+0.2 pp", "−1.4 pp". */
export function formatDelta(delta: number): string {
  const pp = delta * 100;
  const sign = pp > 0.005 ? '+' : pp < -0.005 ? '−' : '±';
  return `${sign}${Math.abs(pp).toFixed(1)} pp`;
}
