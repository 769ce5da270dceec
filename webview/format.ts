// Number formatting for the page (mirrors the export's, which the page may not import).

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const pct = (f: number, digits = 1): string => `${(f * 100).toFixed(digits)}%`;
export const fixed = (n: number, digits = 2): string => n.toFixed(digits);
export const snr = (v: number | null): string => (v === null ? '∞' : v.toFixed(2));
export const shape = (s: (number | null)[]): string => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;

export function points(delta: number, digits = 2): string {
  const p = Number((delta * 100).toFixed(digits));
  return `${p > 0 ? '+' : p < 0 ? '−' : '±'}${Math.abs(p).toFixed(digits)} pp`;
}

/** A relative change as a signed percentage ('−75.0%'); '' when nothing changed. */
export function change(fraction: number, digits = 1): string {
  const p = Number((fraction * 100).toFixed(digits));
  if (p === 0) return '';
  return `${p > 0 ? '+' : '−'}${Math.abs(p).toFixed(digits)}%`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function macs(n: number): string {
  for (const [scale, suffix] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (n >= scale) return `${(n / scale).toFixed(2)} ${suffix}`;
  return String(Math.round(n));
}

/** CSS class for a top-1 change: gains, small losses (< 0.5 pp) and real losses read differently. */
export function deltaClass(delta: number): string {
  if (delta >= 0) return 'delta-good';
  return delta > -0.005 ? 'delta-warn' : 'delta-bad';
}
