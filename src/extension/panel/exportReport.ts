// Writes a report export (Markdown, self-contained HTML or JSON) next to the model, atomically
// (temp file + rename), never over an existing file.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../protocol/report';
import { reportToHtml } from '../report/html';
import { reportToMarkdown } from '../report/markdown';

export type ExportFormat = 'markdown' | 'html' | 'json';

const EXTENSIONS: Record<ExportFormat, string> = { markdown: 'md', html: 'html', json: 'json' };

export function renderExport(report: Report, format: ExportFormat): string {
  if (format === 'markdown') return reportToMarkdown(report);
  if (format === 'html') return reportToHtml(report);
  return JSON.stringify(report, null, 2) + '\n';
}

/** `<model dir>/<model name>.quench-<kind>-<date>.<ext>`, with -2, -3… when the name is taken. */
export async function exportReport(report: Report, format: ExportFormat): Promise<string> {
  const dir = path.dirname(report.model.path);
  const stamp = report.createdAt.replace(/[:.]/g, '-').replace(/Z$/, '');
  const stem = `${report.model.name}.quench-${report.kind}-${stamp}`;
  const content = renderExport(report, format);
  for (let n = 1; n < 1000; n++) {
    const target = path.join(dir, `${stem}${n === 1 ? '' : `-${n}`}.${EXTENSIONS[format]}`);
    const temp = `${target}.${process.pid}.tmp`;
    await fs.writeFile(temp, content, { flag: 'wx' });
    try {
      // link() fails when the target exists, so an earlier export is never replaced.
      await fs.link(temp, target);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`Could not write ${target}: ${(err as Error).message}`);
    } finally {
      await fs.rm(temp, { force: true });
    }
  }
  throw new Error(`Could not find a free file name for ${stem}.${EXTENSIONS[format]} in ${dir}`);
}
