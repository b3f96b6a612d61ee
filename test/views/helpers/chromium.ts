/**
 * Opens an HTML file in Debian's headless Chromium (playwright-core, no browser download) with the flags a
 * closed network needs, and reports what a user would see go wrong: console errors, uncaught exceptions,
 * any request that is not the file itself, and canvases left blank. A canvas counts as drawn when it holds a
 * saturated pixel (a data colour): axes and grid lines alone are grey.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PageCheck {
  consoleErrors: string[];
  pageErrors: string[];
  /** URLs requested other than the page itself. */
  requests: string[];
  rendered: boolean;
  /** uPlot charts on the page. */
  charts: number;
  heatmaps: number;
  /** Canvases with no saturated pixel, by a short description. */
  blankCanvases: string[];
}

export async function renderInChromium(file: string, screenshot?: string): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'mohawk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  const url = pathToFileURL(file).href;
  const out: PageCheck = { consoleErrors: [], pageErrors: [], requests: [], rendered: false, charts: 0, heatmaps: 0, blankCanvases: [] };
  try {
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      out.requests.push(u);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') out.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => out.pageErrors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    out.rendered = await page
      .waitForSelector('body[data-rendered="true"]', { timeout: 15_000 })
      .then(() => true)
      .catch(() => false);
    // Runs in the page; typed structurally because this project compiles without the DOM library.
    const r = await page.evaluate(() => {
      type Canvas = { width: number; height: number; dataset: Record<string, string>; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      type Node = { querySelector(s: string): (Node & Canvas & { textContent: string | null }) | null; parentElement: Node | null };
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Node & Canvas> } }).document;
      const saturated = (c: Canvas): boolean => {
        const ctx = c.getContext('2d');
        if (!ctx || c.width === 0 || c.height === 0) return false;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) {
          const hi = Math.max(d[i], d[i + 1], d[i + 2]);
          const lo = Math.min(d[i], d[i + 1], d[i + 2]);
          if (d[i + 3] > 0 && hi - lo > 80) return true;
        }
        return false;
      };
      const charts = Array.from(doc.querySelectorAll('.uplot'));
      const heat = Array.from(doc.querySelectorAll('canvas[data-heatmap]'));
      const blank: string[] = [];
      charts.forEach((u, i) => {
        const c = u.querySelector('canvas');
        if (!c || !saturated(c)) blank.push(`chart ${i} (${u.parentElement?.querySelector('h3')?.textContent ?? ''})`);
      });
      heat.forEach((c) => {
        if (!saturated(c)) blank.push(`heatmap ${c.dataset.heatmap}`);
      });
      return { charts: charts.length, heatmaps: heat.length, blank };
    });
    out.charts = r.charts;
    out.heatmaps = r.heatmaps;
    out.blankCanvases = r.blank;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return out;
}
