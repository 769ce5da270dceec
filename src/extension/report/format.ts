// Number formatting shared by the Markdown and HTML exports. Pure: no vscode, no DOM.

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 0.1234 -> "12.3%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A top-1 change in percentage points with an explicit sign: 0.0042 -> "+0.42 pp". */
export function formatPointsDelta(deltaFraction: number, digits = 2): string {
  const points = deltaFraction * 100;
  const rounded = Number(points.toFixed(digits));
  const sign = rounded > 0 ? '+' : rounded < 0 ? '−' : '±';
  return `${sign}${Math.abs(rounded).toFixed(digits)} pp`;
}

/** A measured drop in pp, rounded up to 0.01 pp: a report never states less than was measured (a gain is negative). */
export function formatDrop(pp: number): string {
  const up = Math.ceil(pp * 100 - 1e-9) / 100;
  return `${up < 0 ? '−' : ''}${Math.abs(up).toFixed(2)} pp`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Multiply-accumulates with an SI suffix: 1234567 -> "1.23 M". */
export function formatMacs(macs: number): string {
  const steps: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, suffix] of steps) {
    if (macs >= scale) return `${(macs / scale).toFixed(2)} ${suffix}`;
  }
  return String(Math.round(macs));
}

/** Relative change "−41.2%" of `after` against `before`; "—" when before is 0. */
export function formatRelativeChange(before: number, after: number): string {
  if (before === 0) return '—';
  const change = (after - before) / before;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${Math.abs(change * 100).toFixed(1)}%`;
}

export function formatSnr(snr: number | null): string {
  return snr === null ? '∞' : snr.toFixed(2);
}

export function formatShape(shape: (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
