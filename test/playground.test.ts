/**
 * The browser playground (docs/playground): built with esbuild, served over http://127.0.0.1, driven in Debian's
 * chromium by playwright-core — the sample files uploaded through the file inputs and once through a drop event, the
 * numbers the page shows compared with an Evaluator run here on the same files, and a screenshot taken.
 *
 * Chromium missing: skipped with the reason printed — except under CI, where it fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Evaluator, type EvalResult } from '../src/index.js';
import { AUTO_WASM } from './helpers.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const site = join(root, 'docs', 'playground');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const LOGITS = join(root, 'data', 'sample', 'logits.csv');
const LABELS = join(root, 'data', 'sample', 'labels.csv');
const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.css': 'text/css',
};

/** The sample CSVs, parsed simply: a header line, then numbers. */
function csv(path: string): number[][] {
  return readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
}

let server: Server;
let origin = '';
let browser: import('playwright-core').Browser | undefined;
let expected: EvalResult;

beforeAll(async () => {
  execFileSync(process.execPath, [join(site, 'build.mjs')], { cwd: root, stdio: 'inherit' });
  const logits = csv(LOGITS);
  const labels = csv(LABELS).map((r) => r[0]);
  expected = new Evaluator({ classes: 10 }).update(Float64Array.from(logits.flat()), labels).result();
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(site, path === '/' ? 'index.html' : path);
    if (!file.startsWith(site) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

function needChromium(ctx: { skip: (note?: string) => void }): void {
  if (process.env.XENT_RUNTIMES === 'node') return ctx.skip('XENT_RUNTIMES=node: the browser runs once (.ci/run)');
  if (existsSync(CHROMIUM)) return;
  const why = `Debian chromium (apt-get install chromium) not found at ${CHROMIUM}`;
  if (CI) throw new Error(`${why} (.ci/run installs it)`);
  console.warn(`skipped: ${why}`);
  ctx.skip(why);
}

async function openPage(ctx: { skip: (note?: string) => void }) {
  needChromium(ctx);
  const { chromium } = await import('playwright-core');
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${origin}/index.html`);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 10_000 });
  return { page, errors };
}

type Page = Awaited<ReturnType<typeof openPage>>['page'];

/** What the page shows: the exact values (data-value) and the text of each figure. */
async function shown(page: Page) {
  await page.waitForSelector('body[data-state="done"]', { timeout: 10_000 });
  return page.evaluate(() => {
    const ids = ['count', 'nats', 'bits', 'perplexity', 'accuracy', 'brier', 'ece', 'elapsed'];
    const get = (id: string) => document.getElementById(id)!;
    return {
      values: Object.fromEntries(ids.map((id) => [id, Number(get(id).dataset.value)])),
      text: Object.fromEntries(ids.map((id) => [id, get(id).textContent])),
      backend: get('backend').textContent,
      perClassRows: document.querySelectorAll('#per-class tbody tr').length,
      perClassFirst: Array.from(document.querySelectorAll('#per-class tbody tr:first-child td'), (td) => td.textContent),
      charts: document.querySelectorAll('#charts figure svg').length,
      status: get('status').textContent,
    };
  });
}

function expectMatches(got: Awaited<ReturnType<typeof shown>>): void {
  const e = expected;
  expect(got.backend).toBe(AUTO_WASM); // Chromium's V8 picks as this process's does
  expect(got.values.count).toBe(3000);
  expect(got.values.count).toBe(e.count);
  for (const k of ['nats', 'bits', 'perplexity', 'accuracy', 'brier', 'ece'] as const) {
    expect(got.values[k], k).toBeCloseTo(e[k], 10);
  }
  expect(got.text).toMatchObject({
    count: '3,000',
    nats: `${e.nats.toFixed(4)} nats`,
    bits: `${e.bits.toFixed(4)} bits`,
    perplexity: e.perplexity.toFixed(3),
    accuracy: `${(100 * e.accuracy).toFixed(2)} %`,
    brier: e.brier.toFixed(4),
    ece: e.ece.toFixed(4),
  });
  expect(got.values.elapsed).toBeGreaterThan(0);
  expect(got.text.elapsed).toMatch(/^\d+\.\d ms$/);
  expect(got.perClassRows).toBe(10);
  expect(got.perClassFirst).toEqual(['0', String(e.perClass[0].support), e.perClass[0].loss.toFixed(4),
    `${(100 * e.perClass[0].accuracy).toFixed(2)} %`, e.perClass[0].meanProbability.toFixed(4), String(e.perClass[0].predicted)]);
  expect(got.charts).toBe(4);
}

describe('playground (docs/playground) in Chromium', () => {
  it('file inputs: the sample files give the Evaluator\'s numbers, on the build it picks; screenshot', async (ctx) => {
    const { page, errors } = await openPage(ctx);
    await page.setInputFiles('#pred-file', LOGITS);
    await page.waitForSelector('body[data-state="waiting"]');
    await page.setInputFiles('#labels-file', LABELS);
    const got = await shown(page);
    expectMatches(got);
    const dir = mkdtempSync(join(tmpdir(), 'xent-playground-'));
    const png = join(dir, 'playground.png');
    await page.screenshot({ path: png, fullPage: true });
    const bytes = readFileSync(png);
    expect(bytes.length).toBeGreaterThan(10_000);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    console.log(`playground: ${got.text.elapsed} on ${got.backend}; screenshot ${png}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('drop: both files in one synthetic drop event, told apart by their columns', async (ctx) => {
    const { page, errors } = await openPage(ctx);
    const files = [LABELS, LOGITS].map((p) => ({ name: p.split('/').pop()!, text: readFileSync(p, 'utf8') }));
    await page.evaluate((fs) => {
      const dt = new DataTransfer();
      for (const f of fs) dt.items.add(new File([f.text], f.name, { type: 'text/csv' }));
      const target = document.getElementById('drop')!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    expectMatches(await shown(page));
    expect(await page.textContent('#pred-name')).toBe('logits.csv: 3000 × 10');
    expect(await page.textContent('#labels-name')).toBe('labels.csv: 3000 × 1');
    expect(errors).toEqual([]);
    await page.close();
  });
});
