// Plain-text tables and number formats for the CLI's human-readable output.

export function table(headers: string[], rows: string[][], rightAligned: boolean[] = []): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  pct: (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`,
  /** 1234567 -> 1.23M */
  short(n: number): string {
    const abs = Math.abs(n);
    if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
    if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
    if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
    return String(Math.round(n));
  },
  bytes(n: number): string {
    if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MiB`;
    if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
    return `${n} B`;
  },
  shape: (s: readonly (number | null)[]) => `[${s.map((d) => d ?? '?').join(', ')}]`,
};
