/**
 * The `--report` page and its charts (src/cli/report/html.ts): the layout checked as geometry. Every <text> of a
 * chart is turned into a box (from its position, anchor, rotation, font size and the width estimate the layout
 * uses) and no two boxes may meet, no box may meet a bar or a marker, and every box stays inside the SVG; crowded
 * class labels must be thinned or staggered, long names shortened with the full name as tooltip. The CLI's report
 * on the shipped sample must be self-contained. Then the same geometry measured in Chromium with the real font
 * (skipped without Debian's chromium, except under CI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Evaluator, type EvalResult } from '../src/index.js';
import {
  ASCENT, CHART_HEIGHT as H, CHART_WIDTH as W, DESCENT, FONT, classLossChart, htmlReport, lossCurveChart,
  lossHistogramChart, prChart, reliabilityChart, reportCharts, rocChart, textWidth,
} from '../src/cli/report/html.js';
import { tableReport } from '../src/cli/report/text.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const dir = mkdtempSync(join(tmpdir(), 'xent-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---- data --------------------------------------------------------------------------------------------------------

/** N rows × C classes of logits, the true class boosted by a class-dependent amount (so losses differ by class). */
function result(C: number, N: number, options: { base?: number; multiLabel?: boolean; seed?: number } = {}): EvalResult {
  let seed = options.seed ?? 5;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const logits = new Float64Array(N * C);
  const labels: number[] = [];
  const targets = new Float64Array(N * C);
  for (let i = 0; i < N; i++) {
    const y = Math.floor(rand() * C);
    for (let j = 0; j < C; j++) {
      logits[i * C + j] = 4 * rand() - 2 + (j === y ? 4 * rand() * (1 + (y % 7) / 3) : 0);
      targets[i * C + j] = logits[i * C + j] + rand() - 0.5 > 0.5 ? 1 : 0;
    }
    labels.push(y);
  }
  const ev = new Evaluator({ classes: C, base: options.base, multiLabel: options.multiLabel });
  return ev.update(logits, options.multiLabel ? targets : labels).result();
}

const LONG_NAMES = ['golden retriever', 'tabby cat', 'airliner', 'container ship', 'trolleybus', 'x',
  'Egyptian cat', 'pickup truck', 'tree frog', 'electric locomotive'];

// ---- the SVG as geometry -----------------------------------------------------------------------------------------

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  what: string;
}

const attrs = (s: string) => Object.fromEntries(Array.from(s.matchAll(/([\w-]+)="([^"]*)"/g), (m) => [m[1], m[2]]));
const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

interface Text extends Box {
  cls: string;
  text: string;
  /** The tooltip (<title>) of the text, if any. */
  title?: string;
  rotated: boolean;
  /** The element's opening tag. */
  tag: string;
  x: number;
  y: number;
}

/** The boxes of a chart's <text>s, from the same metrics the layout uses. */
function texts(svg: string): Text[] {
  return Array.from(svg.matchAll(/<text ([^>]*)>(.*?)<\/text>/g), (m) => {
    const a = attrs(m[1]);
    const title = /<title>(.*?)<\/title>/.exec(m[2])?.[1];
    const text = unescape(m[2].replace(/<title>.*?<\/title>/g, ''));
    const size = FONT[a.class as keyof typeof FONT];
    expect(size, `font size of class ${a.class}`).toBeGreaterThan(0);
    const x = Number(a.x);
    const y = Number(a.y);
    const w = textWidth(text, size);
    const x0 = a['text-anchor'] === 'middle' ? x - w / 2 : a['text-anchor'] === 'end' ? x - w : x;
    let box: Box = { x0, x1: x0 + w, y0: y - ASCENT * size, y1: y + DESCENT * size, what: `"${text}"` };
    const rot = /rotate\(-90 ([\d.]+) ([\d.]+)\)/.exec(a.transform ?? '');
    if (rot) {
      // rotate(-90 cx cy): (x, y) → (cx + (y − cy), cy − (x − cx)).
      const cx = Number(rot[1]);
      const cy = Number(rot[2]);
      box = { x0: cx + box.y0 - cy, x1: cx + box.y1 - cy, y0: cy - (box.x1 - cx), y1: cy - (box.x0 - cx), what: box.what };
    }
    return { ...box, cls: a.class, text, title: title && unescape(title), rotated: !!rot, tag: `<text ${m[1]}>`, x, y };
  });
}

/** Bars (rect) and markers (circle) of a chart. */
function marks(svg: string): Box[] {
  const rects = Array.from(svg.matchAll(/<rect ([^>]*?)\/?>/g), (m) => {
    const a = attrs(m[1]);
    return { x0: +a.x, y0: +a.y, x1: +a.x + +a.width, y1: +a.y + +a.height, what: `rect.${a.class} at ${a.x},${a.y}` };
  });
  const circles = Array.from(svg.matchAll(/<circle ([^>]*?)\/?>/g), (m) => {
    const a = attrs(m[1]);
    return { x0: +a.cx - +a.r, y0: +a.cy - +a.r, x1: +a.cx + +a.r, y1: +a.cy + +a.r, what: `circle.${a.class} at ${a.cx},${a.cy}` };
  });
  return [...rects, ...circles];
}

const meet = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** Every way the text of a chart can collide: text with text, text with a mark, text out of the SVG. */
function collisions(svg: string): string[] {
  const ts = texts(svg);
  const ms = marks(svg);
  const out: string[] = [];
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t.x0 < 0 || t.y0 < 0 || t.x1 > W || t.y1 > H) out.push(`${t.what} leaves the SVG`);
    for (let j = i + 1; j < ts.length; j++) if (meet(t, ts[j])) out.push(`${t.what} meets ${ts[j].what}`);
    for (const m of ms) if (meet(t, m)) out.push(`${t.what} meets ${m.what}`);
  }
  return out;
}

const svgOf = (figure: string) => /<svg[\s\S]*<\/svg>/.exec(figure)![0];
/** The labels under the x axis (centred tick labels; the y axis's are right-aligned). */
const xLabels = (svg: string): Text[] => texts(svg).filter((t) => t.cls === 'tk' && /text-anchor="middle"/.test(t.tag));
const titles = (svg: string) => texts(svg).filter((t) => t.cls === 'lb');

// ---- the charts ----------------------------------------------------------------------------------------------------

describe('report charts: layout', () => {
  const cases: [string, EvalResult, Parameters<typeof classLossChart>[1]][] = [
    ['3 classes', result(3, 600), {}],
    ['10 classes, bits', result(10, 2000, { base: 2 }), {}],
    ['100 classes', result(100, 6000), {}],
    ['300 classes (the 100 highest shown)', result(300, 3000), {}],
    ['10 long class names', result(10, 2000), { classNames: LONG_NAMES }],
    ['100 long class names', result(100, 4000), { classNames: Array.from({ length: 100 }, (_, i) => `category number ${i}`) }],
    ['2 classes, 12 rows', result(2, 12), {}],
  ];

  it.each(cases)('%s: no text meets other text, a bar or a marker, or leaves the SVG', (_, r, o) => {
    for (const figure of reportCharts(r, { multiLabel: false }, o)) {
      const svg = svgOf(figure);
      expect(collisions(svg), /id="([^"]+)"/.exec(figure)![1]).toEqual([]);
      expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    }
  });

  it('axis titles sit outside the tick labels: x title under the x labels, y title left of the y labels', () => {
    for (const r of [cases[1][1], cases[2][1]]) {
      for (const figure of reportCharts(r, { multiLabel: false })) {
        const svg = svgOf(figure);
        const [xt, yt] = [titles(svg).find((t) => !t.rotated)!, titles(svg).find((t) => t.rotated)!];
        const yLabels = texts(svg).filter((t) => t.cls === 'tk' && /text-anchor="end"/.test(t.tag));
        expect(yLabels.length).toBeGreaterThan(2);
        expect(xt.y0).toBeGreaterThanOrEqual(Math.max(...xLabels(svg).map((t) => t.y1)));
        expect(yt.x1).toBeLessThanOrEqual(Math.min(...yLabels.map((t) => t.x0)));
        // The y title spans no more than the plot's height: between the top and the bottom y tick labels.
        expect(yt.y0).toBeGreaterThanOrEqual(Math.min(...yLabels.map((t) => t.y0)));
      }
    }
  });

  it('class labels: 3 and 10 classes all labelled; 100 thinned to every k-th with k > 1, in order', () => {
    expect(xLabels(svgOf(classLossChart(cases[0][1]))).map((t) => t.text)).toEqual(['0', '1', '2']);
    expect(xLabels(svgOf(classLossChart(cases[1][1]))).map((t) => t.text)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const shown = xLabels(svgOf(classLossChart(cases[2][1]))).map((t) => Number(t.text));
    expect(shown.length).toBeGreaterThan(4);
    expect(shown.length).toBeLessThan(100);
    const k = shown[1] - shown[0];
    expect(k).toBeGreaterThan(1);
    expect(shown).toEqual(Array.from({ length: shown.length }, (_, i) => i * k));
  });

  it('more than 100 classes: the 100 highest mean losses, said so in the caption', () => {
    const r = cases[3][1];
    const figure = classLossChart(r);
    expect(figure).toContain('the 100 highest of 300');
    expect(svgOf(figure).match(/<rect [^>]*class="bar"/g)?.length).toBe(100);
  });

  it('long class names: shortened with an ellipsis, the full name as tooltip; 10 names all shown (staggered)', () => {
    const labels = xLabels(svgOf(classLossChart(cases[4][1], { classNames: LONG_NAMES })));
    expect(labels.length).toBe(10);
    expect(new Set(labels.map((t) => t.y)).size).toBe(2);
    const cut = labels.filter((t) => t.text.endsWith('…'));
    expect(cut.length).toBeGreaterThan(0);
    for (const t of cut) {
      expect(t.title).toBeDefined();
      expect(t.title!.startsWith(t.text.slice(0, -1))).toBe(true);
      expect(LONG_NAMES).toContain(t.title);
    }
    for (const t of labels.filter((l) => !l.text.endsWith('…'))) expect(LONG_NAMES).toContain(t.text);
    // Names with markup characters are escaped.
    const odd = classLossChart(cases[1][1], { classNames: ['<b>&"', ...LONG_NAMES.slice(1)] });
    expect(odd).not.toContain('<b>');
    expect(odd).toContain('&lt;b&gt;&amp;&quot;');
  });

  it('reliability diagram: the diagonal, 15-bin bars and a strip of the bins\' weights labelled with the largest', () => {
    const r = cases[1][1];
    const svg = svgOf(reliabilityChart(r));
    const diag = Array.from(svg.matchAll(/<line ([^>]*)class="ref"/g), (m) => attrs(m[1])).find((a) => a.x1 !== a.x2 && a.y1 !== a.y2);
    expect(diag, 'a diagonal line').toBeDefined();
    expect(Number(diag!.y1)).toBeGreaterThan(Number(diag!.y2));
    // Accuracy bars and strip bars, one of each per non-empty bin (plus one legend swatch each).
    const full = r.reliability.filter((b) => b.weight > 0);
    expect(svg.match(/<rect [^>]*class="bar"/g)?.length).toBe(full.length + 1);
    expect(svg.match(/<rect [^>]*class="bar2"/g)?.length).toBe(full.length + 1);
    expect(texts(svg).map((t) => t.text)).toContain(String(Math.max(...full.map((b) => b.weight))));
    expect(svg).toContain('rows per bin');
    expect(titles(svg).map((t) => t.text)).toEqual(['confidence (top-1 confidence), 15 bins', 'accuracy']);
  });

  it('histogram and curve: axes titled with the report\'s unit; the curve −log p drawn from p ≈ 0 to 1 with the binned rows', () => {
    for (const [r, unit, name] of [[cases[2][1], 'nats', '−ln p'], [cases[1][1], 'bits', '−log₂ p']] as const) {
      const hist = svgOf(lossHistogramChart(r));
      expect(titles(hist).map((t) => t.text)).toEqual([`per-row loss (${unit}, log scale)`, 'share of rows (%)']);
      const curve = svgOf(lossCurveChart(r));
      expect(titles(curve).map((t) => t.text)).toEqual(['predicted probability of the true class, p', `cross-entropy ${name} (${unit})`]);
      const pts = /<polyline points="([^"]+)"/.exec(curve)![1].split(' ').map((p) => p.split(',').map(Number));
      const axis = Array.from(curve.matchAll(/<line ([^>]*)class="ax"/g), (m) => attrs(m[1]))[0];
      const [left, right] = [Number(axis.x1), Number(axis.x2)];
      // The y scale, from the y tick labels (each vertically centred on its value).
      const yTicks = texts(curve).filter((t) => t.cls === 'tk' && /text-anchor="end"/.test(t.tag));
      const at = (t: Text) => t.y - ((ASCENT - DESCENT) / 2) * FONT.tk;
      const [y0, top] = [yTicks[0], yTicks.at(-1)!];
      expect(y0.text).toBe('0');
      const py = (v: number) => at(y0) - (v / Number(top.text)) * (at(y0) - at(top));
      expect(pts[0][0] - left).toBeLessThan(0.01 * (right - left));
      expect(Math.abs(pts[0][1] - at(top))).toBeLessThan(0.2);
      expect(pts.at(-1)![0]).toBe(right);
      expect(Math.abs(pts.at(-1)![1] - at(y0))).toBeLessThan(0.2);
      // Monotone: the loss falls as p rises.
      for (let i = 1; i < pts.length; i++) expect(pts[i][1]).toBeGreaterThanOrEqual(pts[i - 1][1]);
      // The binned rows lie on the curve or above it (mean of −log p >= −log of the mean p), close to it.
      const u = unit === 'bits' ? Math.LN2 : 1;
      let n = 0;
      for (const m of curve.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="[\d.]+" class="pt"><title>[^<]*mean p ([\d.]+), mean loss ([\d.]+)/g)) {
        const [p, loss] = [Number(m[3]), Number(m[4])];
        expect(loss).toBeGreaterThanOrEqual(-Math.log(p) / u - 2e-3);
        expect(loss).toBeLessThanOrEqual(-Math.log(p) / u + 0.5);
        expect(Math.abs(Number(m[1]) - (left + p * (right - left)))).toBeLessThan(0.2);
        expect(Math.abs(Number(m[2]) - py(Math.min(loss, Number(top.text))))).toBeLessThan(0.3);
        n++;
      }
      expect(n).toBeGreaterThan(5);
    }
  });

  it('accessible: each SVG is role="img", labelled by its <title> and <desc>', () => {
    for (const figure of reportCharts(cases[1][1], { multiLabel: false }, { idPrefix: 'a' })) {
      const a = attrs(/<svg ([^>]*)>/.exec(figure)![1]);
      expect(a.role).toBe('img');
      const ids = a['aria-labelledby'].split(' ');
      expect(ids.length).toBe(2);
      expect(figure).toContain(`<title id="${ids[0]}">`);
      expect(figure).toContain(`<desc id="${ids[1]}">`);
      expect(ids[0].startsWith('a-')).toBe(true);
    }
  });

  it('multi-label: three charts per label and the pooled ROC and PR curves; no rows: every chart says so, nothing NaN', () => {
    const multi = result(6, 500, { multiLabel: true });
    const charts = reportCharts(multi, { multiLabel: true });
    expect(charts.length).toBe(5);
    expect(charts[0]).toContain('Mean binary loss per label');
    expect(charts[3]).toContain(`ROC curve (AUROC ${multi.curves!.auroc.toFixed(4)})`);
    expect(charts[4]).toContain(`Precision-recall curve (AP ${multi.curves!.averagePrecision.toFixed(4)})`);
    for (const c of charts) expect(collisions(svgOf(c))).toEqual([]);
    const none = new Evaluator({ classes: 4 }).result();
    const page = htmlReport(none, { pred: 'p.csv', target: 't.csv', classes: 4, from: 'logits', multiLabel: false });
    expect(page.match(/<svg /g)?.length).toBe(4);
    for (const svg of page.match(/<svg[\s\S]*?<\/svg>/g)!) {
      expect(svg).toMatch(/no (class with )?rows/);
      expect(svg).not.toMatch(/="[^"]*(NaN|Infinity)/);
    }
  });
});

describe('ROC and precision-recall charts', () => {
  it('binary tasks: six charts; the curves run from (0, 0) to (1, 1) and from recall 0 to 1, inside the plot', () => {
    const r = result(2, 800);
    const charts = reportCharts(r, { multiLabel: false });
    expect(charts.length).toBe(6);
    for (const c of [rocChart(r), prChart(r)]) {
      expect(collisions(svgOf(c))).toEqual([]);
      const pts = /<polyline points="([^"]+)"/.exec(c)![1].split(' ').map((p) => p.split(',').map(Number));
      expect(pts.length).toBeGreaterThan(20);
      const xs = pts.map((p) => p[0]);
      expect(Math.min(...xs)).toBeLessThan(Math.max(...xs) - 300);
      for (const [x, y] of pts) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(W);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(H);
      }
    }
    // Ten classes: no curves.
    expect(reportCharts(result(10, 100), { multiLabel: false }).length).toBe(4);
    expect(rocChart(new Evaluator({ classes: 2 }).update([[1, 0]], [0]).result())).toContain('no positives or no negatives');
  });
});

// ---- the CLI's page ------------------------------------------------------------------------------------------------

let samplePage = '';

describe('report without per-class figures', () => {
  it('says why the class table is missing, and the class chart says there is nothing to draw', () => {
    const ev = new Evaluator({ classes: 3, perClass: false }).update([[1, 2, 3], [3, 1, 0]], [2, 1]);
    const text = tableReport(ev.result(), { pred: 'p', target: 't', classes: 3, from: 'logits', multiLabel: false });
    expect(text).toContain('No per-class figures');
    expect(text).not.toContain('support');
    expect(classLossChart(ev.result())).toContain('no class with rows');
  });
});

describe('xent eval --report on the shipped sample', () => {
  it('one self-contained page: four charts, inline CSS, no script, no link, no URL', () => {
    const out = join(dir, 'report.html');
    const run = spawnSync(process.execPath, [CLI, 'eval', 'data/sample/logits.csv', 'data/sample/labels.csv', '--report', out, '--quiet'], {
      cwd: ROOT, encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    samplePage = readFileSync(out, 'utf8');
    expect(samplePage.match(/<svg /g)?.length).toBe(4);
    expect(samplePage).not.toMatch(/https?:|<script|<link|<img|<iframe|url\(|@import|src=|href=/i);
    expect(samplePage).toMatch(/<style>[^<]*\.xent-chart \.bar\{/);
    expect(samplePage).toContain('@media print');
    for (const svg of samplePage.match(/<svg[\s\S]*?<\/svg>/g)!) expect(collisions(svg)).toEqual([]);
    // The per-class chart labels the ten classes, once each.
    expect(xLabels(samplePage.match(/<svg[\s\S]*?<\/svg>/)![0]).map((t) => t.text)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

// ---- measured in Chromium ----------------------------------------------------------------------------------------

describe('report charts measured in Chromium', () => {
  it('real text boxes: none meets another, a bar or a marker, or leaves its SVG; the width estimate is an upper bound', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      const why = `Debian chromium (apt-get install chromium) not found at ${CHROMIUM}`;
      if (CI) throw new Error(why);
      console.warn(`skipped: ${why}`);
      ctx.skip(why);
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      await page.route('**/*', (route) => route.abort());
      const info = { pred: 'p.csv', target: 't.csv', from: 'logits' as const, multiLabel: false };
      const pages = [
        samplePage || htmlReport(result(10, 3000), { ...info, classes: 10 }),
        htmlReport(result(100, 6000), { ...info, classes: 100 }),
        htmlReport(result(10, 2000, { base: 2 }), { ...info, classes: 10 }, { classNames: LONG_NAMES }),
      ];
      for (const html of pages) {
        await page.setContent(html);
        const problems = await page.evaluate(() => {
          const out: string[] = [];
          const meet = (a: DOMRect, b: DOMRect) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
          for (const svg of Array.from(document.querySelectorAll('svg'))) {
            const box = svg.getBoundingClientRect();
            const ts = Array.from(svg.querySelectorAll('text'), (t) => ({ t, r: t.getBoundingClientRect(), s: t.textContent ?? '' }));
            const ms = Array.from(svg.querySelectorAll('rect, circle'), (m) => m.getBoundingClientRect());
            for (let i = 0; i < ts.length; i++) {
              const a = ts[i];
              if (a.r.left < box.left || a.r.right > box.right || a.r.top < box.top || a.r.bottom > box.bottom) out.push(`"${a.s}" leaves the SVG`);
              for (let j = i + 1; j < ts.length; j++) if (meet(a.r, ts[j].r)) out.push(`"${a.s}" meets "${ts[j].s}"`);
              for (const m of ms) if (meet(a.r, m)) out.push(`"${a.s}" meets a mark at ${m.left - box.left},${m.top - box.top}`);
            }
          }
          return out;
        });
        expect(problems).toEqual([]);
        // The layout's estimate of each label's width is at least the rendered width.
        const widths = await page.evaluate(() => Array.from(document.querySelectorAll('svg text'), (t) => {
          const own = Array.from(t.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('');
          return { text: own, cls: t.getAttribute('class') ?? '', width: (t as SVGTextElement).getComputedTextLength() };
        }));
        for (const w of widths) expect(textWidth(w.text, FONT[w.cls as keyof typeof FONT]), w.text).toBeGreaterThanOrEqual(w.width);
      }
    } finally {
      await browser.close();
    }
  });
});
