// Progress on stderr, one rewritten line, only when stderr is a terminal (never in pipes or CI logs).
import type { JobProgress } from '../protocol/engine';

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { update(p: JobProgress): void; done(): void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.fraction !== 1) return;
      last = now;
      const parts = [p.stage];
      if (p.layer) parts.push(p.layer);
      if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`);
      if (p.step !== undefined) parts.push(`${p.step}${p.steps ? `/${p.steps}` : ''}`);
      if (p.fraction !== undefined) parts.push(`${Math.round(p.fraction * 100)}%`);
      if (p.etaSeconds !== undefined && p.etaSeconds > 1) parts.push(`~${Math.ceil(p.etaSeconds)} s left`);
      if (p.message) parts.push(p.message);
      const text = parts.join('  ').slice(0, Math.max(20, (stream.columns ?? 80) - 1));
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
