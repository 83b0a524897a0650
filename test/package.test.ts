// The built package (dist/, made by `npm run build`, which `npm test` runs first): ESM and CommonJS entries load,
// agree with the source, ship types, and the CLI's demo prints the worked examples.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as src from '../src/index.js';
import { AUTO_WASM } from './helpers.js';

const root = new URL('../', import.meta.url);
const dist = (p: string) => new URL(`dist/${p}`, root);
const require = createRequire(import.meta.url);
const logits = new Float32Array([2, 1, 0.1, 0.5, 2.5, 0.3, 1, 1, 1, -1, 0, 3]);
const labels = [0, 1, 2, 2];

describe('package', () => {
  it('ESM and CommonJS entries give the same numbers as the source, on the build init() picks', async () => {
    const esm = await import(dist('index.js').href);
    const cjs = require(dist('index.cjs').pathname);
    const expected = src.softmaxCrossEntropy(logits, labels, { classes: 3 });
    for (const m of [esm, cjs]) {
      expect(m.softmaxCrossEntropy(logits, labels, { classes: 3 })).toBe(expected);
      expect(m.backend()).toBe(AUTO_WASM);
      expect(() => m.entropy([0.5, NaN])).toThrow(m.XentError);
    }
  });

  it('exports map and types point at files that exist', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    const entry = pkg.exports['.'];
    expect(entry.import).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(entry.require).toEqual({ types: './dist/index.d.cts', default: './dist/index.cjs' });
    for (const p of [entry.import.types, entry.require.types, entry.import.default, entry.require.default, pkg.bin.xent]) {
      expect(existsSync(new URL(p, root)), p).toBe(true);
    }
    // every condition names its types
    for (const [condition, target] of Object.entries(entry)) expect((target as { types?: string }).types, condition).toMatch(/\.d\.c?ts$/);
    expect(readFileSync(dist('index.d.ts'), 'utf8')).toContain('softmaxCrossEntropy');
    expect(readFileSync(dist('index.d.cts'), 'utf8')).toBe(readFileSync(dist('index.d.ts'), 'utf8'));
    // the embedded wasm is typed as a string, never carried as a literal type ('AGFzbQ' is base64 of '\0asm')
    const declarations = readdirSync(dist('')).filter((f) => /\.d\.c?ts$/.test(f));
    expect(declarations.sort()).toEqual(['index.d.cts', 'index.d.ts', 'parallel.d.ts']);
    const parallel = pkg.exports['./parallel'];
    for (const p of [parallel.types, parallel.default, './dist/parallel-worker.js']) expect(existsSync(new URL(p, root)), p).toBe(true);
    expect(readFileSync(dist('parallel.d.ts'), 'utf8')).toContain('createPool');
    for (const f of declarations) expect(readFileSync(dist(f), 'utf8')).not.toContain('AGFzbQ');
  });

  it('`xent demo` prints the worked examples and evaluates the shipped sample', () => {
    const out = execFileSync(process.execPath, [dist('cli.js').pathname, 'demo'], { encoding: 'utf8' });
    expect(out).toContain('H(p, q) = 3.288');
    expect(out).toContain('KL(p || q) = 1.927');
    expect(out).toContain('mean 0.247 nats');
    expect(out).toMatch(/3000 rows, 10 classes, from logits/);
    expect(out).toMatch(/mean cross-entropy\s+\d\.\d{4} ± \d\.\d{4} nats/);
  });
});
