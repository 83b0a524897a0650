/**
 * The published package: what `npm pack` would put in the tarball (after the build, which `npm test` runs first).
 * Only dist/, data/, README.md, package.json (and a LICENSE, if there is one); no tests, no source maps pointing
 * outside the package, no absolute paths of the machine that built it; every entry point the manifest names is in it,
 * and every relative import of the packed code resolves to a packed file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  bin: Record<string, string>; exports: unknown; main: string; module: string; types: string; files: string[];
};
let files: string[] = [];
const strip = (p: string) => normalize(p).replace(/^\.\//, '');

beforeAll(() => {
  // --ignore-scripts: the prepack script would rebuild everything; the file list is what matters here
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const [report] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  files = report.files.map((f) => f.path).sort();
});

describe('npm pack', () => {
  it('holds only dist/, data/, README.md, package.json (and LICENSE): no tests, fixtures or sources', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(f, f).toMatch(/^(dist\/|data\/|README\.md$|package\.json$|LICENSE(\.md|\.txt)?$)/);
    for (const f of files) expect(f, f).not.toMatch(/(^|\/)(test|tests|__tests__|fixtures|src|assembly|scripts|bench)\/|\.test\.|\.spec\.|\.ts$(?<!\.d\.ts)/);
    // the build's own output, not the TypeScript sources: every .d.ts has its .js or is a declaration of one
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('has no source map, or only maps whose sources stay inside the package', () => {
    for (const f of files.filter((p) => p.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(root, f), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const s of map.sources) {
        const resolved = normalize(join(dirname(f), map.sourceRoot ?? '', s));
        expect(resolved.startsWith('..') || resolved.startsWith('/'), `${f}: source ${s}`).toBe(false);
        expect(files, `${f}: source ${s} is not packed`).toContain(resolved);
      }
    }
    // and no packed file points at a map that is not packed
    for (const f of files.filter((p) => p.endsWith('.js') || p.endsWith('.cjs'))) {
      const m = /\/\/# sourceMappingURL=(\S+)/.exec(readFileSync(join(root, f), 'utf8'));
      if (m && !m[1].startsWith('data:')) expect(files, `${f} → ${m[1]}`).toContain(normalize(join(dirname(f), m[1])));
    }
  });

  it('contains no absolute path of the build machine', () => {
    const machine = /(?:^|[\s"'`(=:])(?:\/(?:work|home|root|tmp|Users|private\/var|var\/folders|mnt|opt\/build)\/|[A-Z]:\\\\(?:Users|work)|file:\/\/\/)/;
    const hits: string[] = [];
    for (const f of files) {
      // latin1: every byte is a character, so .wasm custom sections (names, producers) are searched too
      const text = readFileSync(join(root, f), 'latin1');
      const m = machine.exec(text);
      if (m) hits.push(`${f}: …${text.slice(Math.max(0, m.index - 40), m.index + 60)}…`);
    }
    expect(hits).toEqual([]);
  });

  it('every entry point of package.json (bin, main, module, types, each exports target) is packed', () => {
    const targets: string[] = [pkg.main, pkg.module, pkg.types, ...Object.values(pkg.bin)];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(pkg.exports);
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets.map(strip)) {
      if (t.includes('*')) {
        // a subpath pattern: at least one packed file matches it
        const [head, tail] = t.split('*');
        expect(files.some((f) => f.startsWith(head) && f.endsWith(tail) && f.length > head.length + tail.length), t).toBe(true);
      } else expect(files, t).toContain(t);
    }
    const cli = readFileSync(join(root, strip(pkg.bin.xent)), 'utf8');
    expect(cli.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('every relative import of the packed code resolves to a packed file', () => {
    const code = files.filter((f) => /\.(js|cjs|d\.ts)$/.test(f));
    const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|new URL\(\s*)["'](\.\.?\/[^"'?]+)/g;
    // `xent bench` runs a source checkout's benchmark only where it exists (else its own quick comparison)
    const optional = new Set(['bench/run.mjs']);
    let seen = 0;
    for (const f of code) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(re)) {
        let target = normalize(join(dirname(f), m[1]));
        // a declaration file imports './x.js' for the declarations in './x.d.ts'
        if (f.endsWith('.d.ts') && target.endsWith('.js')) target = target.replace(/\.js$/, '.d.ts');
        // a directory (new URL('../data/sample/', …)): packed files under it
        if (optional.has(target)) continue;
        if (target.endsWith('/')) expect(files.some((p) => p.startsWith(target)), `${f} refers to ${m[1]}`).toBe(true);
        else expect(files, `${f} imports ${m[1]}`).toContain(target);
        seen++;
      }
    }
    // at least the workerd and edge-light entries' .wasm imports and the CLI's worker (the types are one bundled file)
    expect(seen).toBeGreaterThan(4);
  });
});
