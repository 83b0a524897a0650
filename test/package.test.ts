// The built package (dist/, made by `npm run build`, which `npm test` runs first): ESM and CommonJS entries load,
// agree with the source, ship types, and the CLI's demo prints the worked examples.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as src from '../src/index.js';

const root = new URL('../', import.meta.url);
const dist = (p: string) => new URL(`dist/${p}`, root);
const require = createRequire(import.meta.url);
const logits = new Float32Array([2, 1, 0.1, 0.5, 2.5, 0.3, 1, 1, 1, -1, 0, 3]);
const labels = [0, 1, 2, 2];

describe('package', () => {
  it('ESM and CommonJS entries give the same numbers as the source, on wasm-simd', async () => {
    const esm = await import(dist('index.js').href);
    const cjs = require(dist('index.cjs').pathname);
    const expected = src.softmaxCrossEntropy(logits, labels, { classes: 3 });
    for (const m of [esm, cjs]) {
      expect(m.softmaxCrossEntropy(logits, labels, { classes: 3 })).toBe(expected);
      expect(m.backend()).toBe('wasm-simd');
      expect(() => m.entropy([0.5, NaN])).toThrow(m.XentError);
    }
  });

  it('exports map and types point at files that exist', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    const entry = pkg.exports['.'];
    for (const p of [entry.types, entry.import, entry.require, pkg.bin.xent]) {
      expect(existsSync(new URL(p, root)), p).toBe(true);
    }
    expect(readFileSync(dist('index.d.ts'), 'utf8')).toContain('softmaxCrossEntropy');
  });

  it('`xent demo` prints the worked examples and evaluates the shipped sample', () => {
    const out = execFileSync(process.execPath, [dist('cli.js').pathname, 'demo'], { encoding: 'utf8' });
    expect(out).toContain('H(p, q) = 3.288');
    expect(out).toContain('KL(p || q) = 1.927');
    expect(out).toContain('mean 0.247 nats');
    expect(out).toMatch(/3000 rows, 10 classes, from logits/);
    expect(out).toMatch(/mean cross-entropy\s+\d\.\d{4} nats/);
  });
});
