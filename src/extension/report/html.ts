// Report -> one self-contained HTML file: inline CSS, charts as inline SVG, no scripts, no
// external requests, so it can be mailed or attached to a CI run as is.
import type { Report } from '../../protocol/report';
import { buildReportDocument, reportTitle, type Block } from './document';
import { chartToSvg, escapeXml } from './svgChart';

const STYLE = `
:root { color-scheme: light dark; --fg: #1f1f1f; --bg: #ffffff; --muted: #616161; --rule: #d4d4d4; --s0: #1a73e8; --s1: #d93025; --s2: #188038; --s3: #e37400; --s4: #9334e6; --s5: #007b83; }
@media (prefers-color-scheme: dark) { :root { --fg: #e0e0e0; --bg: #1e1e1e; --muted: #a0a0a0; --rule: #3c3c3c; --s0: #6ea8fe; --s1: #f28b82; --s2: #81c995; --s3: #fdd663; --s4: #c58af9; --s5: #78d9ec; } }
body { font: 14px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); max-width: 1100px; margin: 2em auto; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid var(--rule); padding: 3px 10px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
footer, .tick, .axis { color: var(--muted); fill: var(--muted); font-size: 11px; }
.chart-title { fill: var(--fg); font-size: 13px; font-weight: 600; }
.grid { stroke: var(--rule); stroke-width: 1; }
path.series { fill: none; stroke-width: 2; }
line.hline { stroke-width: 1.5; } line.hline.budget { stroke: var(--s3); } line.hline.baseline { stroke: var(--muted); }
text.hline-label { font-size: 11px; } text.hline-label.budget { fill: var(--s3); } text.hline-label.baseline { fill: var(--muted); }
${[0, 1, 2, 3, 4, 5].map((i) => `.s${i} { stroke: var(--s${i}); } .s${i}.dot, .s${i}.legend { fill: var(--s${i}); }`).join('\n')}
`;

export function reportToHtml(report: Report): string {
  const body = buildReportDocument(report).map(blockToHtml).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(reportTitle(report))}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function blockToHtml(block: Block): string {
  switch (block.type) {
    case 'heading':
      return `<h${block.level}>${escapeXml(block.text)}</h${block.level}>`;
    case 'paragraph':
      return `<p>${escapeXml(block.text)}</p>`;
    case 'list':
      return `<ul>${block.items.map((i) => `<li>${escapeXml(i)}</li>`).join('')}</ul>`;
    case 'table': {
      const cls = (c: number) => (block.numeric[c] ? ' class="num"' : '');
      const head = block.headers.some((h) => h.length > 0) ? `<thead><tr>${block.headers.map((h, c) => `<th${cls(c)}>${escapeXml(h)}</th>`).join('')}</tr></thead>` : '';
      const rows = block.rows.map((r) => `<tr>${r.map((cell, c) => `<td${cls(c)}>${escapeXml(cell)}</td>`).join('')}</tr>`).join('\n');
      return `<table>${head}<tbody>${rows}</tbody></table>`;
    }
    case 'chart':
      return `<figure>${chartToSvg(block.chart)}</figure>`;
  }
}
