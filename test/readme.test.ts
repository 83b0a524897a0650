/**
 * Every ```ts block of the README runs, and every value it states holds (after the build, which `npm test` runs
 * first). Each block is a module of its own, run in one Node process against the built package (`xent` resolves to
 * dist/ as it does for a user), from a fresh `await init()`: the build it picks (wasm-relaxed-simd on Node 22+,
 * wasm-simd on Node 20). A trailing comment that begins with a value (`logSumExp([1000, 1000]); //
 * 1000.6931471805599`) is compared with the value of the statement on its line; the convention
 * (test/readme/values.ts) is documented in the README's Development section.
 * The blocks also compile, as TypeScript, against the published declarations.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Encoded, type Expected, mismatches, parseComment } from './readme/values.js';

const root = fileURLToPath(new URL('../', import.meta.url));

interface Check { id: number; line: number; text: string; expected: Expected }
interface Block { line: number; heading: string; source: string; code: string; file: string; checks: Check[]; error: string | null }

/** The ```ts blocks of a markdown text, with the README line each starts on and the section it is in. */
function codeBlocks(markdown: string): { line: number; heading: string; code: string }[] {
  const lines = markdown.split('\n');
  const out: { line: number; heading: string; code: string }[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    if (/^#{1,6} /.test(lines[i])) heading = lines[i].replace(/^#+ /, '');
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README line ${i + 1}: unclosed code block`);
    if (open[1] === 'ts' || open[1] === 'typescript') out.push({ line: i + 2, heading, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

/**
 * The block with each stated value captured: the expression of the statement a value comment trails is wrapped in
 * globalThis.__readme(id, …). A value comment anywhere else is an error, so no stated value goes unchecked.
 */
function instrument(block: { line: number; code: string }, next: () => number): { code: string; checks: Check[] } {
  const { code } = block;
  const sf = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const checks: Check[] = [];
  const edits: { start: number; end: number; id: number }[] = [];
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, code);
  for (let t = scanner.scan(); t !== ts.SyntaxKind.EndOfFileToken; t = scanner.scan()) {
    if (t !== ts.SyntaxKind.SingleLineCommentTrivia) continue;
    const pos = scanner.getTokenPos();
    const line = lineOf(pos);
    const lineStart = sf.getPositionOfLineAndCharacter(line, 0);
    if (code.slice(lineStart, pos).trim() === '') continue;   // a comment on a line of its own is prose
    const text = scanner.getTokenText().slice(2);
    const where = `README line ${block.line + line}`;
    let expected: Expected | null;
    try {
      expected = parseComment(text);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    if (expected === null) continue;
    const stmt = sf.statements.find((s) => lineOf(s.getEnd()) === line);
    let expr: ts.Expression | undefined;
    if (stmt && ts.isExpressionStatement(stmt)) expr = stmt.expression;
    else if (stmt && ts.isVariableStatement(stmt) && stmt.declarationList.declarations.length === 1) {
      expr = stmt.declarationList.declarations[0].initializer;
    }
    if (!expr) throw new Error(`${where}: the value comment //${text} must end a top-level expression statement or declaration`);
    const id = next();
    checks.push({ id, line: block.line + line, text: `${expr.getText(sf)} // ${text.trim()}`, expected });
    edits.push({ start: expr.getStart(sf), end: expr.getEnd(), id });
  }
  let out = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    out = `${out.slice(0, e.start)}globalThis.__readme(${e.id}, (${out.slice(e.start, e.end)}))${out.slice(e.end)}`;
  }
  return { code: out, checks };
}

const README = readFileSync(join(root, 'README.md'), 'utf8');
let counter = 0;
const blocks: Block[] = codeBlocks(README).map(({ line, heading, code: source }, i) => {
  const file = `block-${i}.mjs`;
  try {
    const { code, checks } = instrument({ line, code: source }, () => counter++);
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    return { line, heading, source, checks, file, code: js.outputText, error: null };
  } catch (e) {
    // reported by the block's test; the block still runs, unchecked
    return { line, heading, source, checks: [], file, code: source, error: (e as Error).message };
  }
});

let sandbox: string;
let results: { file: string; values: Record<string, Encoded>; error: string | null }[] = [];

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: sandbox, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && !stdout.includes('README_RESULT')) reject(new Error(`${err.message}\n${stdout}${stderr}`.slice(-4000)));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

beforeAll(async () => {
  sandbox = mkdtempSync(join(tmpdir(), 'xent-readme-'));
  writeFileSync(join(sandbox, 'package.json'), JSON.stringify({ name: 'xent-readme', private: true, type: 'module' }));
  mkdirSync(join(sandbox, 'node_modules', '@types'), { recursive: true });
  symlinkSync(root, join(sandbox, 'node_modules', 'xent'), 'dir');
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(sandbox, 'node_modules', '@types', 'node'), 'dir');
  cpSync(fileURLToPath(new URL('./readme/runner.mjs', import.meta.url)), join(sandbox, 'runner.mjs'));
  for (const b of blocks) writeFileSync(join(sandbox, b.file), b.code);
  const out = await run(process.execPath, ['runner.mjs', ...blocks.map((b) => b.file)]);
  const line = out.split('\n').find((l) => l.startsWith('README_RESULT '));
  results = JSON.parse(line!.slice('README_RESULT '.length));
});

afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

describe('README', () => {
  it('has code blocks, and states values in them', () => {
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.reduce((n, b) => n + b.checks.length, 0)).toBeGreaterThan(30);
  });

  for (const [i, b] of blocks.entries()) {
    it(`line ${b.line} (${b.heading}): runs, and its ${b.checks.length} stated values hold`, () => {
      const r = results[i];
      expect(b.error).toBeNull();
      expect(r.file).toBe(b.file);
      expect(r.error, `README line ${b.line}`).toBeNull();
      const wrong = b.checks.flatMap((c) =>
        c.id in r.values ? mismatches(c.expected, r.values[c.id]).map((m) => `line ${c.line}: ${c.text}\n  ${m}`)
          : [`line ${c.line}: ${c.text}\n  not reached`]);
      expect(wrong).toEqual([]);
    });
  }

  it('every block compiles against the published types', async () => {
    const dir = join(sandbox, 'types');
    mkdirSync(dir);
    const files = blocks.map((b, i) => {
      writeFileSync(join(dir, `block-${i}.ts`), b.source);
      return `types/block-${i}.ts`;
    });
    const compilerOptions = {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', moduleDetection: 'force', lib: ['ES2022', 'DOM'],
      types: ['node'], strict: true, noEmit: true, skipLibCheck: true,
    };
    writeFileSync(join(sandbox, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: sandbox, timeout: 120_000 },
        (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    // block-i.ts(l,c): report README lines
    const mapped = out.replace(/types\/block-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, i, l, c) => `README line ${blocks[+i].line + +l - 1}:${c}`);
    expect(mapped.trim()).toBe('');
  });
});

describe('value comments', () => {
  const check = (comment: string, got: Encoded) => mismatches(parseComment(comment)!, got);
  const num = (v: number): Encoded => ({ number: String(v) });

  it('a number holds to the digits shown; … means truncated', () => {
    expect(check('0.417 nats', num(0.41703))).toEqual([]);
    expect(check('0.417', num(0.4176))).not.toEqual([]);
    expect(check('0.4504…', num(0.45049))).toEqual([]);
    expect(check('0.4504…', num(0.45038))).not.toEqual([]);
    expect(check('0.8149…  (Keras prints 0.814)', num(0.8136))).not.toEqual([]);
    expect(check('-1.25…', num(-1.2599))).toEqual([]);
    expect(check('1000.6931471805599', num(1000.6931471805599))).toEqual([]);
    expect(check('1', num(1 + 2 ** -52))).toEqual([]);
    expect(check('1', num(1.001))).not.toEqual([]);
    expect(check('1e-7', num(1e-7))).toEqual([]);
    expect(check('2.5e-3', num(0.00254))).toEqual([]);
    expect(check('2.5e-3', num(0.00256))).not.toEqual([]);
    expect(check('Infinity', num(Infinity))).toEqual([]);
    expect(check('NaN', num(NaN))).toEqual([]);
    expect(check('NaN', num(0))).not.toEqual([]);
    expect(check('0.5', { json: '0.5' })).not.toEqual([]);
  });

  it('strings, arrays, typed arrays and objects', () => {
    expect(check("'wasm-simd'", { json: 'wasm-simd' })).toEqual([]);
    expect(check("'wasm-simd'", { json: 'js' })).not.toEqual([]);
    const f64 = (...v: number[]): Encoded => ({ typed: 'Float64Array', items: v.map(num) });
    expect(check('Float64Array [0.357, 1.609, 2.303] nats', f64(0.3567, 1.6094, 2.3026))).toEqual([]);
    expect(check('Float64Array [0.357, 1.609]', f64(0.3567, 1.6094, 2.3026))).not.toEqual([]);
    expect(check('Float64Array [0.357, …]', f64(0.3567, 1.6094, 2.3026))).toEqual([]);
    expect(check('Float32Array [0.357, …]', f64(0.3567))).not.toEqual([]);
    expect(check('[0.357, 1.609]', f64(0.3567, 1.6094))).not.toEqual([]);
    expect(check('Float64Array (flat, 2 × 2)', f64(1, 2, 3, 4))).toEqual([]);
    const obj: Encoded = { object: { value: num(0.5), sign: num(-1) }, ctor: 'Object' };
    expect(check('{ value: 0.5, sign: -1 }', obj)).toEqual([]);
    expect(check('{ sign: -1 }', obj)).not.toEqual([]);
    expect(check('{ sign: -1, … }', obj)).toEqual([]);
  });

  it('prose is not a value; a malformed value is an error', () => {
    for (const c of ['mean', '≤ 1 bit', 'flatter', '−(ln .96 + ln .8)', '(flat, 2 × 2)', 'x0.5']) expect(parseComment(c)).toBeNull();
    expect(() => parseComment('[0.1, 0.2')).toThrow();
    expect(() => parseComment('{ value 1 }')).toThrow();
  });
});
