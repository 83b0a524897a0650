/**
 * The same conformance cases (test/runtimes/cases.mjs, from the published and computed fixtures) in every runtime
 * the package claims, on every backend, each run asserting which backend ran: Node ESM and CJS, Deno, Bun (npm's
 * `deno` and `bun` packages), workerd (npm's `workerd`; the entry must never compile from bytes), Chromium's main
 * thread, a module Worker and pages under a strict CSP (Debian's chromium driven by playwright-core).
 *
 * Runs the built package (dist/, made by `npm test` before vitest). Deno, Bun and workerd come from
 * test/runtimes/package.json, installed on demand (see test/runtimes/tools.ts); a runtime that is missing is skipped
 * with the reason and the install command printed — except under CI, where a missing runtime fails the test.
 * XENT_RUNTIMES=node skips all but Node (.ci/run runs the matrix once, and the Node tests again on each further
 * Node version).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCases } from './runtimes/cases.mjs';
import { AUTO_WASM } from './helpers.js';
import { need, toolBin as bin } from './runtimes/tools.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const here = (p: string) => fileURLToPath(new URL(`./runtimes/${p}`, import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const cases = conformanceCases();
/** Checks per backend: each case with float64 inputs, and with float32 inputs where a float32 value is given. */
const CHECKS = cases.reduce((n, c) => n + 1 + (typeof c.want32 === 'number' ? 1 : 0), 0);

interface ModeResult {
  mode: string;
  backend: string;
  fallbackReason: string | null;
  error: string | null;
  passed: number;
  failed: number;
  failures: unknown[];
}
interface Report {
  entry?: string;
  attempts?: string[];
  error?: string;
  results: ModeResult[];
}

/** What each runtime × mode ran, for the summary printed at the end (the README's table is read off it). */
const ran: string[] = [];

/** Every mode passed every case on the backend expected for it. */
function expectModes(runtime: string, report: Report, expected: Record<string, string>): void {
  expect(report.error, runtime).toBeUndefined();
  expect(report.results.map((r) => r.mode)).toEqual(Object.keys(expected));
  for (const r of report.results) {
    expect({ mode: r.mode, backend: r.backend, error: r.error, failures: r.failures }).toEqual({
      mode: r.mode, backend: expected[r.mode], error: null, failures: [],
    });
    expect(r.passed, `${runtime} ${r.mode}`).toBe(CHECKS);
    ran.push(`${runtime} | ${r.mode} | ${r.backend} | ${r.passed}/${CHECKS}`);
  }
}

/** A runtime other than Node: skipped under XENT_RUNTIMES=node, else needed as test/runtimes/tools.ts says. */
function needRuntime(ctx: { skip: (note?: string) => void }, path: string, what: string, install?: string): void {
  if (process.env.XENT_RUNTIMES === 'node') {
    console.warn(`skipped: ${what} (XENT_RUNTIMES=node)`);
    return ctx.skip('XENT_RUNTIMES=node');
  }
  need(ctx, path, what, install);
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 90_000, env: { ...process.env, ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const out = `${stdout}\n${stderr}`;
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${out.slice(-4000)}`));
      else resolve(out);
    });
  });
}

function parse(out: string): Report {
  const line = out.split('\n').find((l) => l.includes('XENT_RESULT '));
  if (!line) throw new Error(`no XENT_RESULT line in:\n${out.slice(-4000)}`);
  return JSON.parse(line.slice(line.indexOf('XENT_RESULT ') + 12));
}

/** A project that depends on xent: node_modules/xent is a link to this package, plus the runner scripts. */
let sandbox: string;

beforeAll(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'xent-runtimes-'));
  writeFileSync(join(sandbox, 'package.json'), JSON.stringify({ name: 'xent-consumer', private: true, type: 'module', dependencies: { xent: '*' } }));
  mkdirSync(join(sandbox, 'node_modules'));
  symlinkSync(root, join(sandbox, 'node_modules', 'xent'), 'dir');
  writeFileSync(join(sandbox, 'cases.mjs'), `export default ${JSON.stringify(cases)};\n`);
  writeFileSync(join(sandbox, 'cases.cjs'), `module.exports = ${JSON.stringify(cases)};\n`);
  for (const f of ['conformance.mjs', 'run.mjs', 'run.cjs', 'no-simd.mjs']) cpSync(here(f), join(sandbox, f));
});

afterAll(() => {
  if (ran.length) console.log(`runtime | mode | backend | cases\n${ran.join('\n')}`);
  rmSync(sandbox, { recursive: true, force: true });
});

/** Each build asked for by name, and `auto`, the one init() and the first call pick unasked. */
const builds = (auto: string) => ({ 'first-call': auto, init: auto, relaxed: 'wasm-relaxed-simd', simd: 'wasm-simd', scalar: 'wasm', js: 'js' });
/**
 * V8 runtimes (Node 22+, Deno, workerd, Chromium) pick the relaxed-SIMD build where V8 fuses its multiply-adds on
 * this CPU, which this process has seen (test/helpers.ts).
 */
const V8 = builds(AUTO_WASM);
const modes = (m: Record<string, string>) => Object.keys(m);
/** Node 20 has relaxed SIMD only behind --experimental-wasm-relaxed-simd (which Node 22+ reject). */
const NODE20 = process.versions.node.split('.')[0] === '20';
const NODE = NODE20 ? Object.fromEntries(Object.entries(builds('wasm-simd')).filter(([m]) => m !== 'relaxed')) : V8;

describe(`Node ${process.versions.node}`, () => {
  const title = NODE20 ? 'wasm-simd (no relaxed SIMD unflagged)' : `${AUTO_WASM} unasked`;
  it(`ESM: the \`import\` entry, on ${title}, each build by name, and js`, async () => {
    const report = parse(await run(process.execPath, ['run.mjs', ...modes(NODE)], sandbox));
    expect(report.entry).toMatch(/\/dist\/index\.js$/);
    expectModes('Node ESM', report, NODE);
    if (NODE20) for (const r of report.results.slice(0, 2)) expect(r.fallbackReason).toMatch(/no WebAssembly relaxed SIMD: the SIMD build runs/);
    else if (AUTO_WASM === 'wasm-relaxed-simd') for (const r of report.results.slice(0, 2)) expect(r.fallbackReason).toBeNull();
  });

  it(`CJS: the \`require\` entry, on ${title}, each build by name, and js`, async () => {
    const report = parse(await run(process.execPath, ['run.cjs', ...modes(NODE)], sandbox));
    expect(report.entry).toMatch(/\/dist\/index\.cjs$/);
    expectModes('Node CJS', report, NODE);
  });

  it.runIf(NODE20)('Node 20 with --experimental-wasm-relaxed-simd: the relaxed-SIMD build where it fuses, unasked', async () => {
    const report = parse(await run(process.execPath, ['--experimental-wasm-relaxed-simd', 'run.mjs', ...modes(V8)], sandbox));
    expectModes('Node ESM, --experimental-wasm-relaxed-simd', report, V8);
  });

  it('without SIMD the scalar build runs after init(), the first call on js meanwhile, each saying why', async () => {
    const m = { 'first-call': 'js', init: 'wasm' };
    const report = parse(await run(process.execPath, ['--import', './no-simd.mjs', 'run.mjs', ...modes(m)], sandbox));
    expectModes('Node ESM, SIMD hidden', report, m);
    expect(report.results[0].fallbackReason).toMatch(/no WebAssembly SIMD.*`await init\(\)` may still start it/);
    expect(report.results[1].fallbackReason).toBe('this runtime has no WebAssembly SIMD: the scalar build runs');
  });

  it('without WebAssembly (--jitless) the TypeScript kernels run, and say why', async () => {
    const m = { 'first-call': 'js', init: 'js' };
    const report = parse(await run(process.execPath, ['--jitless', 'run.mjs', ...modes(m)], sandbox));
    expectModes('Node ESM, --jitless', report, m);
    for (const r of report.results) expect(r.fallbackReason).toMatch(/no WebAssembly/);
  });
});

describe('Deno and Bun', () => {
  it('Deno: the `deno` entry, on each build, and js', async (ctx) => {
    needRuntime(ctx, bin('deno'), 'deno (npm package `deno`)');
    const out = await run(bin('deno'), ['run', '--no-lock', '--allow-read', '--allow-env', 'run.mjs', ...modes(V8)], sandbox, {
      DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1',
    });
    const report = parse(out);
    expect(report.entry).toMatch(/\/dist\/index\.js$/);
    expectModes('Deno', report, V8);
  });

  it('Bun: the `bun` entry, on each build, and js; unasked the SIMD build, as JavaScriptCore does not fuse', async (ctx) => {
    needRuntime(ctx, bin('bun'), 'bun (npm package `bun`)');
    const m = builds('wasm-simd');
    const report = parse(await run(bin('bun'), ['run.mjs', ...modes(m)], sandbox, { NO_COLOR: '1' }));
    expect(report.entry).toMatch(/\/dist\/index\.js$/);
    expectModes('Bun', report, m);
    for (const r of report.results.slice(0, 2)) expect(r.fallbackReason).toMatch(/relaxed SIMD does not fuse multiply-adds here/);
  });
});

/** A workerd config with one worker whose modules are `modules` (name → [kind, file in the sandbox]). */
function workerdConfig(modules: [string, 'esModule' | 'wasm', string][]): string {
  const list = modules.map(([name, kind, file]) => `(name = "${name}", ${kind} = embed "${file}")`).join(',\n    ');
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [(name = "main", worker = .worker)]);
const worker :Workerd.Worker = (
  modules = [
    ${list}
  ],
  compatibilityDate = "2025-01-01",
);
`;
}

/** The package's .wasm files, each a module of the workerd / edge-light entries. */
const WASM = ['xent.wasm', 'xent-relaxed.wasm', 'xent-scalar.wasm'];

describe('workerd (Cloudflare Workers)', () => {
  const dir = () => join(sandbox, 'workerd');
  const setup = (worker: string) => {
    mkdirSync(dir(), { recursive: true });
    for (const f of ['conformance.mjs', 'cases.mjs']) cpSync(join(sandbox, f), join(dir(), f));
    cpSync(here(worker), join(dir(), worker));
    cpSync(here('workerd-guard.mjs'), join(dir(), 'workerd-guard.mjs'));
    for (const f of ['workerd.js', 'edge-light.js', 'index.js', ...WASM.map((w) => `wasm/${w}`)]) {
      mkdirSync(join(dir(), 'dist', 'wasm'), { recursive: true });
      cpSync(join(root, 'dist', f), join(dir(), 'dist', f));
    }
  };
  const common: [string, 'esModule' | 'wasm', string][] = [
    ['conformance.js', 'esModule', 'conformance.mjs'],
    ['cases.js', 'esModule', 'cases.mjs'],
  ];

  it('the `workerd` entry imports the .wasm modules and never compiles from bytes, on each build and js', async (ctx) => {
    needRuntime(ctx, bin('workerd'), 'workerd (npm package `workerd`)');
    setup('workerd-worker.mjs');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['.'].workerd.default).toBe('./dist/workerd.js');
    writeFileSync(join(dir(), 'entry.capnp'), workerdConfig([
      ['worker.js', 'esModule', 'workerd-worker.mjs'],
      ['guard.js', 'esModule', 'workerd-guard.mjs'],
      ['xent/dist/workerd.js', 'esModule', 'dist/workerd.js'],
      ...WASM.map((w): [string, 'wasm', string] => [`xent/dist/wasm/${w}`, 'wasm', `dist/wasm/${w}`]),
      ...common,
    ]));
    const report = parse(await run(bin('workerd'), ['test', 'entry.capnp'], dir()));
    expect(report.attempts, 'compiles from bytes').toEqual([]);
    expectModes('workerd', report, { ...V8, module: 'wasm-simd' });
  });

  it('the `edge-light` entry (Vercel\'s `.wasm?module` imports), run in workerd under the same guard', async (ctx) => {
    needRuntime(ctx, bin('workerd'), 'workerd (npm package `workerd`)');
    setup('workerd-worker.mjs');
    const edge = readFileSync(here('workerd-worker.mjs'), 'utf8')
      .replace('./xent/dist/workerd.js', './xent/dist/edge-light.js')
      .replace("'./xent/dist/wasm/xent.wasm'", "'./xent/dist/wasm/xent.wasm?module'");
    writeFileSync(join(dir(), 'edge-worker.mjs'), edge);
    writeFileSync(join(dir(), 'edge.capnp'), workerdConfig([
      ['worker.js', 'esModule', 'edge-worker.mjs'],
      ['guard.js', 'esModule', 'workerd-guard.mjs'],
      ['xent/dist/edge-light.js', 'esModule', 'dist/edge-light.js'],
      ...WASM.map((w): [string, 'wasm', string] => [`xent/dist/wasm/${w}?module`, 'wasm', `dist/wasm/${w}`]),
      ...common,
    ]));
    const report = parse(await run(bin('workerd'), ['test', 'edge.capnp'], dir()));
    expect(report.attempts, 'compiles from bytes').toEqual([]);
    expectModes('edge-light entry (in workerd)', report, { ...V8, module: 'wasm-simd' });
  });

  it('the default entry, whose bytes workerd refuses to compile, falls back to js with a notice', async (ctx) => {
    needRuntime(ctx, bin('workerd'), 'workerd (npm package `workerd`)');
    setup('workerd-bytes.mjs');
    writeFileSync(join(dir(), 'bytes.capnp'), workerdConfig([
      ['worker.js', 'esModule', 'workerd-bytes.mjs'],
      ['xent/dist/index.js', 'esModule', 'dist/index.js'],
      ...common,
    ]));
    const report = parse(await run(bin('workerd'), ['test', 'bytes.capnp'], dir()));
    expectModes('workerd, default entry', report, { 'first-call': 'js', init: 'js' });
    for (const r of report.results) expect(r.fallbackReason).toMatch(/disallowed by embedder/);
  });
});

describe('Chromium (Debian chromium, driven by playwright-core)', () => {
  let server: Server;
  let origin = '';
  let browser: import('playwright-core').Browser | undefined;
  const CSP: Record<string, string> = {
    '/csp.html': "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'",
    '/csp-wasm.html': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'",
  };
  const page = (script: string) => `<!doctype html><meta charset="utf-8"><title>xent</title><script type="module" src="${script}"></script>`;
  const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm' };

  beforeAll(async () => {
    // /dist/* from the package, /t/* the runner scripts and the cases; the pages are generated.
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      let file: string | null = null;
      let body: string | Buffer | null = null;
      if (path.startsWith('/dist/')) file = join(root, path);
      else if (path === '/t/cases.mjs' || path === '/t/conformance.mjs') file = join(sandbox, path.slice(3));
      else if (path === '/t/browser.mjs' || path === '/t/browser-worker.mjs' || path === '/t/browser-parallel.mjs') file = here(path.slice(3));
      else if (path === '/parallel.html' || path === '/parallel-open.html') body = page('/t/browser-parallel.mjs');
      else if (path.endsWith('.html')) {
        const modes = url.searchParams.get('modes') ?? '';
        body = page(`/t/${url.searchParams.get('worker') ? 'browser-worker' : 'browser'}.mjs?modes=${modes}`);
      }
      if (file && !file.includes('..') && existsSync(file)) body = path.endsWith('.wasm') ? readFileSync(file) : readFileSync(file, 'utf8');
      if (body === null) {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = { 'content-type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'text/plain' };
      if (CSP[path]) headers['content-security-policy'] = CSP[path];
      // Cross-origin isolation (SharedArrayBuffer) for xent/parallel's page and its workers' script.
      if (path === '/parallel.html' || path === '/dist/parallel-worker.js') {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
      }
      res.writeHead(200, headers).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function open(ctx: { skip: (note?: string) => void }, path: string): Promise<{ report: Report; csp: string[] }> {
    needRuntime(ctx, CHROMIUM, 'Debian chromium', 'apt-get install chromium');
    const { chromium } = await import('playwright-core');
    browser ??= await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const tab = await browser.newPage();
    const csp: string[] = [];
    tab.on('console', (m) => {
      if (/Content Security Policy|wasm-unsafe-eval/i.test(m.text())) csp.push(m.text());
    });
    try {
      await tab.goto(`${origin}${path}`);
      await tab.waitForFunction(() => (window as any).__xent, null, { timeout: 60_000 });
      return { report: await tab.evaluate(() => (window as any).__xent), csp };
    } finally {
      await tab.close();
    }
  }

  it('main thread: the browser entry, on the build it picks (sync and async compile), each build by name, and js', async (ctx) => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['.'].browser.default).toBe('./dist/index.js');
    const { report } = await open(ctx, `/main.html?modes=${modes(V8)}`);
    expectModes('Chromium main thread', report, V8);
  });

  it('module Worker: on the build it picks, each build by name, and js', async (ctx) => {
    const { report } = await open(ctx, `/worker.html?worker=1&modes=${modes(V8)}`);
    expectModes('Chromium module Worker', report, V8);
  });

  it("strict CSP without 'wasm-unsafe-eval': compiling is refused, the js backend answers, with a notice", async (ctx) => {
    const m = { 'first-call': 'js', init: 'js', js: 'js' };
    const { report } = await open(ctx, `/csp.html?modes=${modes(m)}`);
    expectModes('Chromium, strict CSP', report, m);
    expect(report.results[0].fallbackReason).toMatch(/WebAssembly unavailable/);
    expect(report.results[1].fallbackReason).toMatch(/WebAssembly unavailable/);
  });

  it('xent/parallel, cross-origin isolated: two module Workers give the one-thread bits (in place too), its errors, and close', async (ctx) => {
    const { report } = await open(ctx, '/parallel.html');
    const r = report as unknown as { isolated: boolean; inPlace: boolean; error: string | null; closed: string; checks: { name: string; same: boolean }[] };
    expect(r.error).toBeNull();
    expect(r.isolated).toBe(true);
    expect(r.inPlace).toBe(true);
    expect(r.checks.map((c) => c.name)).toHaveLength(11);
    for (const c of r.checks) expect(c.same, c.name).toBe(true);
    expect(r.closed).toBe('INVALID_STATE');
  });

  it('xent/parallel, not cross-origin isolated: a pool copies, and allocate() is INVALID_STATE naming the fix', async (ctx) => {
    const { report } = await open(ctx, '/parallel-open.html');
    const r = report as unknown as { isolated: boolean; inPlace: boolean; error: string | null; refused: string };
    expect(r.error).toBeNull();
    expect(r.isolated).toBe(false);
    expect(r.inPlace).toBe(false);
    expect(r.refused).toMatch(/^INVALID_STATE: .*cross-origin isolated.*COOP and COEP/);
  });

  it("CSP with 'wasm-unsafe-eval': WebAssembly runs", async (ctx) => {
    const { report } = await open(ctx, `/csp-wasm.html?modes=${modes(V8)}`);
    expectModes("Chromium, CSP with 'wasm-unsafe-eval'", report, V8);
  });
});
