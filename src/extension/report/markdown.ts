// Report -> Markdown (GitHub-flavoured tables). Pure; charts are left to the HTML export.
import type { Report } from '../../protocol/report';
import { buildReportDocument, type Block } from './document';

export function reportToMarkdown(report: Report): string {
  return buildReportDocument(report).map(blockToMarkdown).filter((s) => s.length > 0).join('\n\n') + '\n';
}

function escapeCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function blockToMarkdown(block: Block): string {
  switch (block.type) {
    case 'heading':
      return `${'#'.repeat(block.level)} ${block.text}`;
    case 'paragraph':
      return block.text;
    case 'list':
      return block.items.map((item) => `- ${item}`).join('\n');
    case 'table': {
      const header = `| ${block.headers.map(escapeCell).join(' | ')} |`;
      const rule = `|${block.numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`;
      const rows = block.rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`);
      return [header, rule, ...rows].join('\n');
    }
    case 'chart':
      return '';
  }
}
