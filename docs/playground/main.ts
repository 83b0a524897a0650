/**
 * The xent playground: two files in (predictions, labels), parsed here, evaluated here with xent's Evaluator, and
 * the report shown — summary, per-class table and the CLI report's SVG charts, drawn by the same functions as
 * `xent eval --report` (src/cli/report/html.ts) with their CSS.
 * Built by build.mjs into dist/main.js.
 */
import { Evaluator, backend, fallbackReason, init, type EvalResult } from '../../src/index.js';
import { CHART_CSS, reportCharts } from '../../src/cli/report/html.js';
import { DTYPES } from '../../src/cli/readers/npy-dtypes.js';

/** A parsed file: `rows` × `cols` numbers, row-major. float32 .npy stays Float32Array (the float32 kernels). */
interface Table {
  name: string;
  rows: number;
  cols: number;
  data: Float64Array | Float32Array;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- parsing ---------------------------------------------------------------------------------------------------

/** NumPy .npy, format versions 1–3, little-endian, C order, 1-D (one value per row) or 2-D. */
function parseNpy(name: string, buf: ArrayBuffer): Table {
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') {
    throw new Error(`${name}: not a NumPy .npy file (bad magic string)`);
  }
  const wide = bytes[6] >= 2;
  const len = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = wide ? 12 : 10;
  const header = new TextDecoder(bytes[6] >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + len));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shape === undefined) throw new Error(`${name}: unreadable .npy header`);
  if (fortran === 'True') throw new Error(`${name}: Fortran-order .npy is not supported (save it C-ordered)`);
  if (descr[0] === '>' && descr.slice(1) !== 'i1' && descr.slice(1) !== 'u1') throw new Error(`${name}: big-endian .npy is not supported`);
  const dt = DTYPES[descr.replace(/^[<|=]/, '')];
  if (!dt) throw new Error(`${name}: unsupported .npy dtype ${descr}`);
  const dims = shape.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (dims.length < 1 || dims.length > 2) throw new Error(`${name}: expected a 1-D or 2-D array, got shape (${shape})`);
  const rows = dims[0];
  const cols = dims.length === 2 ? dims[1] : 1;
  const off = start + len;
  if (off + rows * cols * dt.size > buf.byteLength) throw new Error(`${name}: truncated .npy data`);
  const data = dt.f32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = dt.read(view, off + i * dt.size);
  return { name, rows, cols, data };
}

/** JSON lines: each line a number, an array of numbers, or an object whose values are numbers / one array. */
function parseJsonl(name: string, text: string): Table {
  const out: number[] = [];
  let rows = 0;
  let cols = -1;
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown = JSON.parse(line);
    if (v && typeof v === 'object' && !Array.isArray(v)) v = Object.values(v).flat();
    const row = (Array.isArray(v) ? v : [v]).map(Number);
    if (row.some((x) => Number.isNaN(x))) throw new Error(`${name}: line ${i + 1} is not numeric`);
    if (cols === -1) cols = row.length;
    else if (row.length !== cols) throw new Error(`${name}: line ${i + 1} has ${row.length} values, line 1 has ${cols}`);
    out.push(...row);
    rows++;
  });
  return { name, rows, cols: Math.max(cols, 0), data: Float64Array.from(out) };
}

/** CSV / TSV (delimiter guessed from the first line), an optional header row of non-numbers. */
function parseDelimited(name: string, text: string): Table {
  const lines = text.split(/\r?\n/);
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  if (!lines.length) throw new Error(`${name}: empty file`);
  const sep = lines[0].includes('\t') ? '\t' : lines[0].includes(',') ? ',' : lines[0].includes(';') ? ';' : /\s+/;
  const split = (l: string) => l.trim().split(sep);
  const first = split(lines[0]);
  const header = first.some((s) => s.trim() === '' || Number.isNaN(Number(s)));
  const cols = first.length;
  const start = header ? 1 : 0;
  const rows = lines.length - start;
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const f = split(lines[r + start]);
    if (f.length !== cols) throw new Error(`${name}: line ${r + start + 1} has ${f.length} fields, expected ${cols}`);
    for (let c = 0; c < cols; c++) {
      const v = Number(f[c]);
      if (f[c].trim() === '' || Number.isNaN(v)) throw new Error(`${name}: line ${r + start + 1}, field ${c + 1} is not a number: ${JSON.stringify(f[c])}`);
      data[r * cols + c] = v;
    }
  }
  return { name, rows, cols, data };
}

async function parseFile(file: File): Promise<Table> {
  const lower = file.name.toLowerCase();
  if (lower.endsWith('.npy')) return parseNpy(file.name, await file.arrayBuffer());
  const text = await file.text();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return parseJsonl(file.name, text);
  return parseDelimited(file.name, text);
}

/** Probabilities when every entry is in [0, 1] and every row sums to 1 (within 1e-3); logits otherwise. */
function looksLikeProbs(t: Table): boolean {
  for (let r = 0; r < t.rows; r++) {
    let s = 0;
    for (let c = 0; c < t.cols; c++) {
      const v = t.data[r * t.cols + c];
      if (!(v >= 0 && v <= 1)) return false;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) return false;
  }
  return t.rows > 0;
}

// ---- state and evaluation ----------------------------------------------------------------------------------------

const state: { pred?: Table; labels?: Table; parseMs: Record<'pred' | 'labels', number> } = { parseMs: { pred: 0, labels: 0 } };
let runs = 0;

function status(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', error);
  if (error) document.body.dataset.state = 'error';
}

function setValue(id: string, value: number, text: string): void {
  const el = $(id);
  el.textContent = text;
  el.dataset.value = String(value);
}

async function load(file: File, role?: 'pred' | 'labels'): Promise<void> {
  const t0 = performance.now();
  const table = await parseFile(file);
  const ms = performance.now() - t0;
  // A dropped file is labels when it has one column, predictions otherwise.
  const slot = role ?? (table.cols === 1 ? 'labels' : 'pred');
  state[slot] = table;
  state.parseMs[slot] = ms;
  $(`${slot}-name`).textContent = `${file.name}: ${table.rows} × ${table.cols}`;
}

async function loadAll(files: { file: File; role?: 'pred' | 'labels' }[]): Promise<void> {
  document.body.dataset.state = 'busy';
  try {
    for (const f of files) await load(f.file, f.role);
    if (state.pred && state.labels) evaluate();
    else {
      status(`Loaded ${files.map((f) => f.file.name).join(', ')}; now the ${state.pred ? 'labels' : 'predictions'} file.`);
      document.body.dataset.state = 'waiting';
    }
  } catch (e) {
    status(String(e instanceof Error ? e.message : e), true);
  }
}

function evaluate(): void {
  const pred = state.pred!;
  const labels = state.labels!;
  if (labels.cols !== 1) throw new Error(`${labels.name}: labels need one column, found ${labels.cols}`);
  if (labels.rows !== pred.rows) throw new Error(`${pred.name} has ${pred.rows} rows but ${labels.name} has ${labels.rows}`);
  const choice = $<HTMLSelectElement>('from').value;
  const from = choice === 'auto' ? (looksLikeProbs(pred) ? 'probs' : 'logits') : (choice as 'logits' | 'probs');
  const t0 = performance.now();
  const ev = new Evaluator({ classes: pred.cols, from });
  ev.update(pred.data, labels.data);
  const r = ev.result();
  const ms = performance.now() - t0;
  render(r, pred, labels, from, ms);
  status(`Evaluated ${pred.name} against ${labels.name}.`);
  document.body.dataset.runs = String(++runs);
  document.body.dataset.state = 'done';
}

// ---- rendering -----------------------------------------------------------------------------------------------------

const fixed = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)} %` : 'n/a');

function render(r: EvalResult, pred: Table, labels: Table, from: 'logits' | 'probs', ms: number): void {
  setValue('count', r.count, r.count.toLocaleString('en-US'));
  $('classes').textContent = `${pred.cols} classes${r.ignored ? `, ${r.ignored} ignored` : ''}`;
  setValue('nats', r.nats, `${fixed(r.nats, 4)} nats`);
  setValue('bits', r.bits, `${fixed(r.bits, 4)} bits`);
  setValue('perplexity', r.perplexity, fixed(r.perplexity, 3));
  setValue('accuracy', r.accuracy, pct(r.accuracy));
  $('topk').textContent = r.topK ? `top-${r.topK.k}: ${pct(r.topK.accuracy)}` : '';
  setValue('brier', r.brier, fixed(r.brier, 4));
  setValue('ece', r.ece, fixed(r.ece, 4));
  const why = fallbackReason();
  $('backend').textContent = backend();
  $('backend').title = why ?? 'WebAssembly SIMD kernels';
  setValue('elapsed', ms, `${ms.toFixed(1)} ms`);
  $('parse-ms').textContent = `${(state.parseMs.pred + state.parseMs.labels).toFixed(1)} ms`;
  $('from-used').textContent = from === 'probs' ? 'probabilities' : 'logits';

  const body = $('per-class').querySelector('tbody')!;
  body.replaceChildren(...r.perClass.map((c) => {
    const tr = document.createElement('tr');
    for (const v of [String(c.class), String(c.support), fixed(c.loss, 4), pct(c.accuracy), fixed(c.meanProbability, 4), String(c.predicted)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));

  // The charts of `xent eval --report`: markup built from numbers, every text escaped by html.ts.
  $('charts').innerHTML = reportCharts(r, { multiLabel: false }).join('');
  $('results').hidden = false;
}

// ---- wiring --------------------------------------------------------------------------------------------------------

// The charts' CSS, as the report page has it.
document.head.append(Object.assign(document.createElement('style'), { textContent: CHART_CSS }));

for (const role of ['pred', 'labels'] as const) {
  $<HTMLInputElement>(`${role}-file`).addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void loadAll([{ file, role }]);
  });
}
$<HTMLSelectElement>('from').addEventListener('change', () => {
  if (state.pred && state.labels) void loadAll([]);
});

const drop = $('drop');
for (const type of ['dragenter', 'dragover'] as const) {
  window.addEventListener(type, (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
}
window.addEventListener('dragleave', (e) => {
  if (!e.relatedTarget) drop.classList.remove('over');
});
window.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const files = Array.from(e.dataTransfer?.files ?? []);
  if (files.length) void loadAll(files.map((file) => ({ file })));
});

// Compile the kernels up front, so the time shown is the evaluation's alone.
init().then(
  (name) => {
    status(`Waiting for two files (xent backend: ${name}).`);
    document.body.dataset.state = 'ready';
  },
  (e) => status(`xent failed to start: ${String(e)}`, true),
);
