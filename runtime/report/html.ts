/**
 * One self-contained HTML file: uPlot (MIT, its licence banner kept) and the page script inlined, the report
 * data embedded as JSON. Nothing is loaded at view time — no CDN, no fonts, no network — so the file can be
 * mailed, archived or opened from a CI artefact.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReportData } from './data.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

function uplotFile(name: string): string {
  const pkg = createRequire(import.meta.url).resolve('uplot/package.json');
  return readFileSync(join(dirname(pkg), 'dist', name), 'utf8');
}

/** JSON that is safe inside <script>: no '</script>', no '<!--', no U+2028/2029 surprises. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Inline scripts must not contain '</script' (the uPlot bundle does not; the check keeps it that way). */
function inlineScript(code: string, what: string): string {
  if (/<\/script/i.test(code)) throw new Error(`${what} contains '</script' and cannot be inlined`);
  return code;
}

export function renderReport(data: ReportData): string {
  const uplotJs = inlineScript(uplotFile('uPlot.iife.min.js'), 'uPlot');
  const uplotCss = uplotFile('uPlot.min.css');
  const pageJs = inlineScript(readFileSync(join(HERE, 'assets', 'page.js'), 'utf8'), 'page.js');
  const pageCss = readFileSync(join(HERE, 'assets', 'page.css'), 'utf8');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(data.title)}</title>
<style>
${uplotCss}
${pageCss}
</style>
</head>
<body>
<h1 id="title"></h1>
<div id="subtitle" class="muted"></div>
<h2>Stages</h2>
<div id="stages"></div>
<h2>Loss per stage</h2>
<div id="loss" class="grid"></div>
<h2>Throughput and learning rate</h2>
<div id="throughput" class="grid"></div>
<h2>Evaluation: teacher vs student</h2>
<div id="eval"></div>
<h2>Per-layer distances</h2>
<div id="distances" class="grid"></div>
<h2>Mixing matrices of a sample sequence</h2>
<p class="note">Per layer: the teacher's softmax attention, the student's materialised SSM mixing matrix (D on the diagonal) on the
teacher's hidden state entering that layer — the pair stage 1 compares — and their difference. Rows are query positions, columns key positions.</p>
<div id="heatmaps"></div>
<h2>Samples</h2>
<div id="samples"></div>
<h2>Notes</h2>
<ul id="notes" class="note"></ul>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>
${uplotJs}
</script>
<script>
${pageJs}
</script>
</body>
</html>
`;
}
