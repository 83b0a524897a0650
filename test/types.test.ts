/**
 * The published types, as a TypeScript user meets them (after the build, which `npm test` runs first):
 * - test/types/consumer.ts and consumer.cts, a project that depends on xent, compile against dist/ with
 *   skipLibCheck: false under the current TypeScript and TypeScript 5.0, with NodeNext (ESM and CommonJS files, no
 *   DOM lib, no @types/node), Bundler (with the DOM lib) and node10 resolution; their assertions pin the result
 *   types, options that are not literals included;
 * - arethetypeswrong finds no problem in the packed tarball (every entry, every resolution mode).
 * TypeScript 5.0 and arethetypeswrong come from test/runtimes/package.json (see test/runtimes/tools.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need, toolBin, toolFile } from './runtimes/tools.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const TSC: Record<string, string> = {
  current: join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
  '5.0': toolFile('typescript-5.0', 'bin/tsc'),
};

/** The module settings a consumer may have; each compiles the files listed. */
const PROJECTS: Record<string, { options: Record<string, unknown>; files: string[] }> = {
  nodenext: {
    options: { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], exactOptionalPropertyTypes: true },
    files: ['consumer.ts', 'consumer.cts'],
  },
  bundler: { options: { module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'] }, files: ['consumer.ts'] },
  node10: { options: { module: 'CommonJS', moduleResolution: 'Node', lib: ['ES2022'] }, files: ['consumer.ts'] },
};

let sandbox: string;

beforeAll(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'xent-types-'));
  mkdirSync(join(sandbox, 'node_modules'));
  symlinkSync(root, join(sandbox, 'node_modules', 'xent'), 'dir');
  writeFileSync(join(sandbox, 'package.json'), JSON.stringify({ name: 'xent-consumer', private: true, type: 'module' }));
  for (const f of readdirSync(join(root, 'test', 'types'))) cpSync(join(root, 'test', 'types', f), join(sandbox, f));
  for (const [name, { options, files }] of Object.entries(PROJECTS)) {
    // skipDefaultLibCheck: TypeScript's own lib files need no checking here; xent's declarations do (skipLibCheck: false)
    const compilerOptions = {
      target: 'ES2022', strict: true, skipLibCheck: false, skipDefaultLibCheck: true, noEmit: true, types: [], ...options,
    };
    writeFileSync(join(sandbox, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files }, null, 2));
  }
});

afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

function tsc(bin: string, project: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '-p', `tsconfig.${project}.json`, '--pretty', 'false'], { cwd: sandbox, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
  });
}

describe('the declarations compile for a consumer, skipLibCheck: false', () => {
  for (const [version, bin] of Object.entries(TSC)) {
    it(`TypeScript ${version}: NodeNext (ESM and CJS), Bundler and node10 projects`, async (ctx) => {
      need(ctx, bin, `TypeScript ${version}`);
      const results = await Promise.all(Object.keys(PROJECTS).map(async (p) => ({ p, ...(await tsc(bin, p)) })));
      for (const { p, code, out } of results) expect({ project: p, code, out }).toEqual({ project: p, code: 0, out: '' });
    });
  }
});

describe('arethetypeswrong', () => {
  it('finds no problem in the packed package', (ctx) => {
    const attw = toolBin('attw');
    need(ctx, attw, 'arethetypeswrong (npm package `@arethetypeswrong/cli`)');
    const dir = join(sandbox, 'pack');
    mkdirSync(dir);
    // --ignore-scripts: dist/ is already built; prepack would rebuild it
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [tarball] = readdirSync(dir);
    // xent/parallel is ESM only (its workers' script is found through import.meta.url): checked under attw's
    // esm-only profile; every other entry under the strict one, CommonJS and node10 included.
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [attw, join(dir, tarball), ...args, '--format', 'ascii', '--no-color', '--no-emoji'], {
        encoding: 'utf8', timeout: 120_000,
      });
      expect(r.status, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(run('--exclude-entrypoints', './parallel')).toContain('No problems found');
    const esm = run('--entrypoints', './parallel', '--profile', 'esm-only');
    expect(esm).toMatch(/node16 \(from ESM\): OK \(ESM\)/);
    expect(esm).toMatch(/bundler: OK/);
  });
});
