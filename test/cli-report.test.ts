/**
 * The report of the built CLI (`xent eval --format json | table | csv`, `--report`): its classification-report
 * figures against test/fixtures/report.json (scikit-learn's definitions, scripts/report_fixtures.py).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Evaluator } from '../src/index.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const FIX = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'report.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'xent-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const xent = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
/** Rows of `flat` as CSV lines (JavaScript's shortest round-trip digits: the values exactly). */
const csv = (flat: number[], cols: number) =>
  Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols).join(',')).join('\n') + '\n';
const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));

describe('xent eval report figures', () => {
  it("single-label: per-class precision, recall, F1, averages, baselines, confusion and worst rows as scikit-learn's", () => {
    const c = FIX.single;
    writeFileSync(join(dir, 'p.csv'), csv(c.logits, c.classes));
    writeFileSync(join(dir, 'y.csv'), c.labels.join('\n') + '\n');
    const r = xent('eval', 'p.csv', 'y.csv', '--format', 'json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    c.perClass.forEach((e: Record<string, number>, k: number) => {
      for (const m of ['support', 'precision', 'recall', 'f1']) close(j.perClass[k][m], e[m]);
    });
    for (const a of ['macro', 'weighted']) for (const m of ['precision', 'recall', 'f1']) close(j.averages[a][m], c.averages[a][m]);
    close(j.baselines.prior, c.prior);
    close(j.baselines.skill, c.skill);
    expect(j.confusion).toEqual(c.confusion);
    expect(j.worst.map((w: { row: number }) => w.row)).toEqual(c.worst.map((w: { row: number }) => w.row));
    // The table: every class, the averages to 3 decimals, the skill score, no binary-task reading for 6 classes.
    const t = xent('eval', 'p.csv', 'y.csv', '--class-names', 'a,b,c,d,e,f', '--quiet').stdout;
    expect(t).toContain(`macro avg`);
    // Each average ± its standard error, as the JSON's (6 classes: every error by the delta method, no bound).
    const pm = (a: 'macro' | 'weighted', m: string, d: number) => `${j.averages[a][m].toFixed(d)} ±${j.averages[a].standardErrors[m].toFixed(d)}`;
    expect(t).toMatch(new RegExp(`macro avg +240 +[0-9.]+ ±[0-9.]+ +${c.averages.macro.precision.toFixed(3)} ±[0-9.]+ +${c.averages.macro.recall.toFixed(3)} ±[0-9.]+ +${c.averages.macro.f1.toFixed(3)} ±`));
    for (const a of ['macro', 'weighted'] as const) {
      expect(j.averages[a].bounds).toEqual([]);
      expect(t).toContain(`${pm(a, 'loss', 4)}  ${pm(a, 'precision', 3)}  ${pm(a, 'recall', 3)}  ${pm(a, 'f1', 3)}`);
    }
    expect(t).not.toContain('±≤');
    expect(t).toMatch(new RegExp(`skill \\(D²\\) +${c.skill.toFixed(4)}`));
    expect(t).toMatch(/Confusion matrix[^\n]*\n +a +b +c +d +e +f\n/);
    expect(t).not.toContain('Reading:');
    expect(t).toMatch(/xent \S+, \d{4}-\d\d-\d\dT[\d:.]+Z: xent eval p\.csv y\.csv --class-names a,b,c,d,e,f --quiet\n +sha256 [0-9a-f]{64} +p\.csv\n/);
    const rows = xent('eval', 'p.csv', 'y.csv', '--format', 'csv', '--quiet').stdout;
    expect(rows).toContain(`macro_f1,${j.averages.macro.f1}\nmacro_f1_se,${j.averages.macro.standardErrors.f1}\n`);
    expect(rows).toContain(`weighted_loss_se,${j.averages.weighted.standardErrors.loss}\nweighted_se_bounds,\n`);
    expect(rows).toContain(`worst_row,loss\n${j.worst[0].row},${j.worst[0].loss}\n`);
  });

  it('--report: the curves of a binary task, the tables and the metadata; at 1,000 classes the 100 worst classes', () => {
    const c = FIX.binary;
    writeFileSync(join(dir, 'b.csv'), csv(c.logits, 2));
    writeFileSync(join(dir, 'by.csv'), c.labels.join('\n') + '\n');
    const r = xent('eval', 'b.csv', 'by.csv', '--report', 'b.html', '--format', 'json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const page = readFileSync(join(dir, 'b.html'), 'utf8');
    expect(page.match(/<svg /g)?.length).toBe(6);
    expect(page).toContain(`ROC curve (AUROC ${j.curves.auroc.toFixed(4)})`);
    for (const h of ['Per class', 'Confusion matrix', 'Most confused pairs', 'Worst rows']) expect(page).toContain(`<h2>${h}</h2>`);
    expect(page).toContain(`<td>${j.worst[0].row}</td><td>${j.worst[0].loss.toFixed(4)}</td>`);
    expect(page).toContain(`sha256 <code>${j.run.inputs[0].sha256}</code> <code>b.csv</code>`);
    expect(page).toContain('reading'); // a binary task keeps the binary-task scale
    expect(page).not.toMatch(/>NaN<|>undefined</);
    // 1,000 classes: the table shows 100 rows (and the two averages), the chart 100 bars; no confusion matrix.
    const C = 1000;
    const n = 3000;
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    writeFileSync(join(dir, 'w.csv'), Array.from({ length: n }, () => Array.from({ length: C }, () => (4 * rand()).toFixed(2)).join(',')).join('\n'));
    writeFileSync(join(dir, 'wy.csv'), Array.from({ length: n }, () => Math.floor(rand() * C)).join('\n'));
    expect(xent('eval', 'w.csv', 'wy.csv', '--report', 'w.html', '--quiet').code).toBe(0);
    const wide = readFileSync(join(dir, 'w.html'), 'utf8');
    const table = /<h2>Per class<\/h2>[\s\S]*?<\/table>/.exec(wide)![0];
    expect(table.match(/<tr>/g)!.length).toBe(1 + 100);
    expect(table.match(/<tr class="avg">/g)!.length).toBe(2);
    // Above 32 classes macro F1's error (and weighted precision's and F1's) is an upper bound, marked ±≤.
    expect(table).toMatch(/<tr class="avg"><td>macro avg<\/td>(<td>[^<]*(<span class="se"> ±[0-9.]+<\/span>)?<\/td>){4}<td>[0-9.]+<span class="se"> ±≤[0-9.]+<\/span><\/td>/);
    expect(wide).toContain('±≤: an upper bound of the standard error');
    expect(wide).toContain('The 100 classes of highest mean loss of 1000');
    expect(wide).not.toContain('Confusion matrix');
    expect(wide).toMatch(/<h2>Most confused pairs<\/h2><p class="meta">Estimated from a count-min sketch/);
    expect(wide.match(/<rect[^>]*class="bar"/g)!.length).toBeGreaterThanOrEqual(100);
  });

  it('multi-label: per-label scores at p >= 0.5 and the prior of each label', () => {
    const c = FIX.multi;
    writeFileSync(join(dir, 'm.csv'), csv(c.logits, c.classes));
    writeFileSync(join(dir, 't.csv'), csv(c.targets, c.classes));
    const r = xent('eval', 'm.csv', 't.csv', '--multi-label', '--format', 'json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    c.perClass.forEach((e: Record<string, number>, k: number) => {
      for (const m of ['support', 'precision', 'recall', 'f1']) close(j.perClass[k][m], e[m]);
    });
    for (const a of ['macro', 'weighted']) for (const m of ['precision', 'recall', 'f1']) close(j.averages[a][m], c.averages[a][m]);
    close(j.baselines.prior, c.prior);
    close(j.baselines.skill, c.skill);
    expect(j.confusion).toBeNull();
    expect(j.worst.map((w: { row: number }) => w.row)).toEqual(c.worst.map((w: { row: number }) => w.row));
  });

  it('value ± standard error in every format, per class too, and the multi-label bootstrap\'s intervals', () => {
    const c = FIX.multi;
    writeFileSync(join(dir, 'm.csv'), csv(c.logits, c.classes));
    writeFileSync(join(dir, 't.csv'), csv(c.targets, c.classes));
    const args = ['eval', 'm.csv', 't.csv', '--multi-label', '--bootstrap', '200', '--seed', '5', '--quiet'];
    const j = JSON.parse(xent(...args, '--format', 'json').stdout);
    // The library's result, as the JSON holds it (the figures themselves are held to NumPy by eval-se.test.ts).
    const ev = new Evaluator({ classes: c.classes, multiLabel: true, bootstrap: { resamples: 200, seed: 5 } })
      .update(c.logits, c.targets);
    const want = JSON.parse(JSON.stringify(ev.result()));
    expect(j.perClass).toEqual(want.perClass);
    expect(j.bootstrap).toEqual(want.bootstrap);
    expect(j.bootstrap.brier[0]).toBeLessThan(j.brier);
    // The macro F1's interval (up to 32 labels), around the point estimate.
    expect(j.bootstrap.macroF1[0]).toBeLessThan(j.averages.macro.f1);
    expect(j.bootstrap.macroF1[1]).toBeGreaterThan(j.averages.macro.f1);
    const p0 = want.perClass[0];
    const table = xent(...args).stdout;
    const fix = (v: number, d: number) => v.toFixed(d);
    expect(table).toContain(`${fix(p0.loss, 4)} ±${fix(p0.standardErrors.loss, 4)}  ${fix(p0.precision, 3)} ±${fix(p0.standardErrors.precision, 3)}`);
    expect(table).toContain(`accuracy ${(100 * want.bootstrap.accuracy[0]).toFixed(1)} % – ${(100 * want.bootstrap.accuracy[1]).toFixed(1)} %  Brier ${fix(want.bootstrap.brier[0], 4)}`);
    expect(table).toContain(`macro F1 ${fix(want.bootstrap.macroF1[0], 4)} – ${fix(want.bootstrap.macroF1[1], 4)}   (whole rows resampled)`);
    // The widest line of the table stays within a terminal's width.
    expect(Math.max(...table.split('\n').filter((l) => !l.includes('sha256') && !l.includes('xent 0')).map((l) => l.length))).toBeLessThanOrEqual(100);
    const lines = xent(...args, '--format', 'csv').stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('class,'));
    expect(lines[head]).toBe('class,support,loss,accuracy,mean_probability,predicted,precision,recall,f1,loss_se,accuracy_se,mean_probability_se,precision_se,recall_se,f1_se');
    expect(lines[head + 1].split(',').slice(9).map(Number)).toEqual(Object.values(p0.standardErrors));
    expect(lines).toContain(`bootstrap_brier_hi95,${want.bootstrap.brier[1]}`);
    expect(lines).toContain(`bootstrap_macro_f1_lo95,${want.bootstrap.macroF1[0]}`);
    expect(lines).toContain(`bootstrap_macro_f1_hi95,${want.bootstrap.macroF1[1]}`);
    expect(xent(...args, '--report', 'm.html').code).toBe(0);
    const page = readFileSync(join(dir, 'm.html'), 'utf8');
    expect(page).toContain(`<td>${fix(p0.f1, 3)}<span class="se"> ±${fix(p0.standardErrors.f1, 3)}</span></td>`);
    // The averages' rows ± their errors, and the per-label chart's 95% error bars from the JSON's numbers.
    const avg = want.averages.macro;
    expect(page).toContain(`<tr class="avg"><td>macro avg</td><td>${want.perClass.reduce((a: number, p: { support: number }) => a + p.support, 0)}</td>`
      + `<td>${fix(avg.loss, 4)}<span class="se"> ±${fix(avg.standardErrors.loss, 4)}</span></td>`
      + `<td>${fix(avg.precision, 3)}<span class="se"> ±${fix(avg.standardErrors.precision, 3)}</span></td>`);
    const chart = /<figure class="xent-chart" id="[^"]*class-loss[\s\S]*?<\/figure>/.exec(page)![0];
    const bars = Array.from(chart.matchAll(/<path [^>]*class="err" data-lo="([^"]+)" data-hi="([^"]+)"><title>label (\d+):/g));
    expect(bars.length).toBe(want.perClass.length);
    for (const [, lo, hi, k] of bars) {
      const p = want.perClass[Number(k)];
      close(Number(lo), p.loss - 1.959963984540054 * p.standardErrors.loss);
      close(Number(hi), p.loss + 1.959963984540054 * p.standardErrors.loss);
    }
    expect(chart).toContain('95 % interval (± 1.96 se)');
    expect(page).toContain('bootstrap 95% (200 resamples)');
    expect(page).toContain(`; macro F1 ${fix(want.bootstrap.macroF1[0], 4)} – ${fix(want.bootstrap.macroF1[1], 4)}</small>`);
    expect(page).not.toMatch(/>NaN<|>undefined<|>null</);
  });
});
