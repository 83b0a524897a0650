/**
 * Streaming evaluation of a language model from its logits: feed windows of token positions with `update`, read
 * perplexity and the rest with `result`. The state is sums and counts that do not grow with the vocabulary (about a
 * hundred numbers), so shards merge in any order and the JSON stays small at any vocabulary size.
 */
import { DEFAULT_IGNORE_INDEX, type SequenceOptions, positionsOf, scorePositions } from '../api/tokens.js';
import { XentError, show } from '../core/errors.js';
import { booleanOption, checkKeys, integerOption, unitName, unitOf } from '../core/options.js';
import { type Batch, type Labels, reading } from '../core/shape.js';
import { ECE_BINS, type ReliabilityBin, binOf, expectedCalibrationError, reliability } from './calibration.js';
import {
  type BootstrapOptions, type BootstrapSettings, type MeanIntervals, bootstrapOf, meanIntervals, poissonWeights, rowKey,
} from './bootstrap.js';
import { type Estimate, estimate, proportion } from './estimate.js';
import { decCount, decSum, enc, expectSameSettings, expectState, stateObject } from './json.js';
import { type LikelihoodFigures, LikelihoodSums, likelihoodFigures, packedSumsLength, scaled } from './likelihood.js';

/** Options of a LanguageModelEvaluator. */
export interface LanguageModelEvaluatorOptions {
  /** Vocabulary size: logits per position. Required. */
  classes: number;
  /** Targets equal to this are not scored (padding, prompt tokens). Default -100, as Hugging Face and PyTorch. */
  ignoreIndex?: number;
  /** k of the top-k accuracy (default 5, capped at classes). */
  topK?: number;
  /** Unit of `loss`, `entropy` and the loss by position: Math.E (nats, default), 2 (bits), 10. */
  base?: number;
  /**
   * A Poisson bootstrap of the token-weighted figures (mean nll, perplexity, accuracy): B resamples drawn per
   * position as Comparison's (README: "Comparing models"), keyed by (seed, global position index).
   */
  bootstrap?: BootstrapOptions | boolean | null;
}

/** Options of LanguageModelEvaluator.update. */
export interface LanguageModelUpdateOptions extends SequenceOptions {
  /**
   * UTF-8 bytes of the text that this update's scored tokens spell (lm-evaluation-harness counts the document's
   * bytes): gives bits per byte. Updates without it are left out of bits per byte.
   */
  bytes?: number;
  /**
   * The global index of this update's first position, which keys the bootstrap's draws (shards fed apart pass
   * theirs). Default: the positions this evaluator has seen.
   */
  offset?: number;
  /**
   * The update's last sequence goes on in the next update (a sequence too long to hold at once, fed in chunks): the
   * next update's first sequence continues it, and every figure comes out as from one update of the whole. Under
   * `shift`, the next update's first row repeats this update's last position (its logits score the next target;
   * it is not counted twice). A state with an open sequence adds nothing to `result()` until an update without
   * `open` ends it, and cannot be merged or saved.
   */
  open?: boolean;
}

/** The settings that shape a state; two states merge only when they agree. */
export interface LanguageModelSettings {
  classes: number;
  ignoreIndex: number;
  topK: number;
  base: number;
  /** null: no bootstrap. */
  bootstrap: BootstrapSettings | null;
}

export interface LanguageModelResult extends LikelihoodFigures {
  /** 'nats', 'bits', 'bans' or 'log base b': the unit of `loss`, `entropy` and `byPosition`. */
  unit: string;
  /** The target is the most likely token (a tie counts as right). */
  accuracy: Estimate;
  /** The target is among the k most likely tokens. */
  topK: Estimate & { k: number };
  /** Mean entropy of the predicted distribution, in the unit. */
  entropy: Estimate;
  /** Expected calibration error of the top-1 probability against top-1 correctness (15 bins, torchmetrics'). */
  ece: number;
  reliability: ReliabilityBin[];
  /** With the `bootstrap` option: 95% percentile intervals of the token-weighted loss, perplexity, accuracy. */
  bootstrap: MeanIntervals | null;
}

const OPTION_KEYS = ['classes', 'ignoreIndex', 'topK', 'base', 'bootstrap'];
const UPDATE_KEYS = ['shift', 'sequenceLength', 'sequenceIds', 'dtype', 'bytes', 'offset', 'open'];
const FORMAT = 'xent-lm-state';

function settingsOf(options: unknown): LanguageModelSettings {
  if (options === undefined) {
    throw new XentError('INVALID_OPTION', 'new LanguageModelEvaluator needs options with `classes` (vocabulary size)');
  }
  const o = checkKeys(options, OPTION_KEYS, 'LanguageModelEvaluator');
  const classes = o.classes;
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 1) {
    throw new XentError('INVALID_OPTION', `classes must be a positive integer, got ${show(classes)}`);
  }
  const base = o.base ?? Math.E;
  unitOf(base);
  const topK = integerOption(o.topK, 'topK') ?? 5;
  if (topK < 1) throw new XentError('INVALID_OPTION', `topK must be an integer >= 1, got ${topK}`);
  const ignoreIndex = integerOption(o.ignoreIndex, 'ignoreIndex') ?? DEFAULT_IGNORE_INDEX;
  return { classes, ignoreIndex, topK: Math.min(topK, classes), base: base as number, bootstrap: bootstrapOf(o.bootstrap) };
}



/** Everything a LanguageModelEvaluator knows: sums and counts, never means. */
class LmState {
  L = new LikelihoodSums();
  /** Σ [rank = 0], Σ [rank < k], Σ entropy, Σ entropy² (nats). */
  correct = 0;
  correctK = 0;
  entropy = 0;
  entropy2 = 0;
  /** ECE bins of the top-1 probability: tokens, Σ confidence, Σ correct. */
  eceWeight = new Float64Array(ECE_BINS);
  eceConf = new Float64Array(ECE_BINS);
  eceCorrect = new Float64Array(ECE_BINS);
  /** Bootstrap sums per resample: Σ w, Σ w·nll, Σ w·[rank = 0] (empty without the bootstrap). */
  bootW: Float64Array;
  bootNll: Float64Array;
  bootCorrect: Float64Array;

  constructor(readonly settings: LanguageModelSettings) {
    const B = settings.bootstrap?.resamples ?? 0;
    this.bootW = new Float64Array(B);
    this.bootNll = new Float64Array(B);
    this.bootCorrect = new Float64Array(B);
  }

  add(o: LmState): void {
    this.L.add(o.L);
    this.correct += o.correct;
    this.correctK += o.correctK;
    this.entropy += o.entropy;
    this.entropy2 += o.entropy2;
    for (let b = 0; b < ECE_BINS; b++) {
      this.eceWeight[b] += o.eceWeight[b];
      this.eceConf[b] += o.eceConf[b];
      this.eceCorrect[b] += o.eceCorrect[b];
    }
    for (let b = 0; b < this.bootW.length; b++) {
      this.bootW[b] += o.bootW[b];
      this.bootNll[b] += o.bootNll[b];
      this.bootCorrect[b] += o.bootCorrect[b];
    }
  }
}

/** Numbers in packLmState's layout (a function: a module-level value would be kept by every bundle). */
const packedLength = (s: LanguageModelSettings): number => packedSumsLength() + 4 + 3 * ECE_BINS + 3 * (s.bootstrap?.resamples ?? 0);

/**
 * The evaluator's state packed into one Float64Array: how the CLI's worker threads send their block states (the
 * buffer transferred, not copied). Not part of the package's API.
 */
export function packLmState(ev: LanguageModelEvaluator): Float64Array<ArrayBuffer> {
  ev['closed']('packLmState');
  const st: LmState = ev['state'];
  const out = new Float64Array(packedLength(st.settings));
  let at = st.L.packInto(out, 0);
  for (const v of [st.correct, st.correctK, st.entropy, st.entropy2]) out[at++] = v;
  for (const a of [st.eceWeight, st.eceConf, st.eceCorrect, st.bootW, st.bootNll, st.bootCorrect]) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** ev.merge() of a state packed by packLmState from an evaluator with the same settings: bit-identical sums. */
export function mergePackedLm(ev: LanguageModelEvaluator, p: Float64Array): void {
  const st: LmState = ev['state'];
  const n = packedLength(st.settings);
  if (p.length !== n) throw new XentError('SHAPE_MISMATCH', `a packed language-model state has ${n} numbers, got ${p.length}`);
  let at = st.L.addPacked(p, 0);
  st.correct += p[at++];
  st.correctK += p[at++];
  st.entropy += p[at++];
  st.entropy2 += p[at++];
  for (const a of [st.eceWeight, st.eceConf, st.eceCorrect, st.bootW, st.bootNll, st.bootCorrect]) {
    for (let b = 0; b < a.length; b++) a[b] += p[at++];
  }
}

/** An update left open: its sums so far (added to the state when it ends), and its open sequence's. */
interface Pending {
  u: LmState;
  positions: number;
  tokens: number;
  nll: number;
}

/**
 * Streaming evaluation of a causal language model: perplexity two ways (token-weighted over the corpus, and the
 * mean over sequences), bits per token and per byte, top-1 and top-k accuracy, the entropy and calibration of the
 * predicted distribution and the loss by position in the sequence, each mean with its standard error.
 */
export class LanguageModelEvaluator {
  private state: LmState;
  private pending: Pending | null = null;

  constructor(options: LanguageModelEvaluatorOptions) {
    this.state = new LmState(settingsOf(options));
  }

  /** The settings in force (defaults filled in). */
  get options(): Readonly<LanguageModelSettings> {
    return this.state.settings;
  }

  /**
   * Adds a window of positions. `logits`: one row of `classes` logits per position (rows, or flat); `targets`: one
   * token id per position. The update is one sequence unless `sequenceLength` or `sequenceIds` says otherwise;
   * `shift` applies within each sequence. Nothing is added when the input is invalid.
   */
  update(logits: Batch, targets: Labels, options?: LanguageModelUpdateOptions): this {
    const o = checkKeys(options, UPDATE_KEYS, 'LanguageModelEvaluator.update');
    const s = this.state.settings;
    const bytes = o.bytes;
    if (bytes !== undefined && (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0)) {
      const what = 'an integer >= 0 (UTF-8 bytes of the scored text)';
      throw new XentError('INVALID_OPTION', `bytes must be ${what}, got ${show(bytes)}`);
    }
    const open = o.open === undefined ? false : booleanOption(o.open, 'open');
    if (open && bytes !== undefined) {
      throw new XentError('INVALID_OPTION', 'bytes goes with the update that ends an open sequence (the one without open: true)');
    }
    const pending = this.pending;
    if (pending !== null && bytes !== undefined && pending.u.L.tokens > 0) {
      throw new XentError('INVALID_OPTION', 'bytes cannot be given when an open sequence ends: the updates left open had no bytes');
    }
    // Under the shift, a continuing update's first row is the open sequence's last position again.
    const again = pending !== null && o.shift === true ? 1 : 0;
    const seen = this.state.L.positions + (pending === null ? 0 : pending.u.L.positions + pending.positions - again);
    const offset = integerOption(o.offset, 'offset') ?? seen;
    if (offset < 0) throw new XentError('INVALID_OPTION', `offset must be an integer >= 0, got ${offset}`);
    const P = positionsOf(logits, targets, o, s.classes, s.ignoreIndex);
    if (P.X.cols !== s.classes) {
      throw new XentError('SHAPE_MISMATCH', `logits has ${P.X.cols} entries per row but classes is ${s.classes}`);
    }
    // The kernel's outputs are kept from update to update (no outside code runs while they are read).
    const { logprob, rank, entropy, topLogprobs } = scorePositions(P, 1, s.topK, 1, false, true);
    // The top-1 probabilities in a loop of their own (the sums below then keep their values in registers).
    const conf = topLogprobs!;
    for (let i = 0; i < rank.length; i++) if (rank[i] >= 0) conf[i] = Math.exp(conf[i]);
    // A batch adds into a fresh state first, then that state into this one: the same additions as merging the
    // batches' states in order, so a fixed grid of blocks gives the same bits however it is run. Updates left open
    // add into one state, added when the last ends: the same additions as one update of the whole.
    const u = pending?.u ?? new LmState(s);
    const { L } = u;
    const { starts } = P;
    const last = starts.length - 2;
    const draws = new Uint8Array(s.bootstrap?.resamples ?? 0);
    const { topK } = s;
    const { eceWeight, eceConf, eceCorrect } = u;
    // The running sums in locals, each given the same additions in the same order as token by token in the state.
    let { correct, correctK, entropy: sh, entropy2: sh2 } = u;
    let opened: Pending | null = null;
    for (let q = 0; q + 1 < starts.length; q++) {
      // The first sequence of a continuing update goes on from the open one's positions and sums.
      const going = q === 0 && pending !== null;
      const before = going ? pending.positions - again : 0;
      let tokens = going ? pending.tokens : 0;
      let nll = going ? pending.nll : 0;
      const from = starts[q];
      const to = starts[q + 1];
      for (let i = from; i < to; i++) {
        const r = rank[i];
        if (r < 0) continue;
        const l = -logprob[i];
        const h = entropy[i];
        const c = conf[i];
        const ok = r === 0 ? 1 : 0;
        tokens++;
        nll += l;
        L.addToken(l, before + i - from);
        correct += ok;
        correctK += r < topK ? 1 : 0;
        sh += h;
        sh2 += h * h;
        const b = binOf(c);
        eceWeight[b]++;
        eceConf[b] += c;
        eceCorrect[b] += ok;
        if (draws.length > 0) addDraws(u, draws, rowKey(s.bootstrap!.seed, offset + i), l, ok);
      }
      const positions = before + to - from;
      if (open && q === last) opened = { u, positions, tokens, nll };
      else L.endSequence(positions, tokens, nll);
    }
    Object.assign(u, { correct, correctK, entropy: sh, entropy2: sh2 });
    this.pending = opened;
    if (opened !== null) return this;
    if (bytes !== undefined && L.tokens > 0) L.addBytes(bytes, L.tokens, L.nll, L.nll2);
    this.state.add(u);
    return this;
  }

  /** Adds another evaluator's state (same settings): the shards of one evaluation, in any order. */
  merge(other: LanguageModelEvaluator): this {
    if (!(other instanceof LanguageModelEvaluator)) {
      throw new XentError('INVALID_TYPE', `merge takes a LanguageModelEvaluator, got ${show(other)}`);
    }
    expectSameSettings(this.state.settings, other.state.settings);
    this.closed('merge');
    other.closed('merge');
    this.state.add(other.state);
    return this;
  }

  /** Throws when a sequence is open (`open: true`): its sums are not in the state yet. */
  private closed(what: string): void {
    if (this.pending !== null) {
      throw new XentError('INVALID_STATE', `${what}: a sequence is open (update with open: true); end it with an update without open first`);
    }
  }

  /** Forgets everything added so far. */
  reset(): this {
    this.state = new LmState(this.state.settings);
    this.pending = null;
    return this;
  }

  /** The state as plain JSON (sums and counts; a few KB whatever the vocabulary), for `fromJSON` elsewhere. */
  toJSON(): LanguageModelStateJSON {
    this.closed('toJSON');
    const st = this.state;
    return {
      format: FORMAT,
      version: 1,
      settings: { ...st.settings, bootstrap: st.settings.bootstrap && { ...st.settings.bootstrap } },
      ...st.L.toJSON(),
      correct: st.correct,
      correctK: st.correctK,
      entropy: enc(st.entropy),
      entropy2: enc(st.entropy2),
      ece: { weight: Array.from(st.eceWeight), confidence: Array.from(st.eceConf), correct: Array.from(st.eceCorrect) },
      ...(st.settings.bootstrap === null ? {} : {
        bootstrap: { weight: Array.from(st.bootW), nll: Array.from(st.bootNll, enc), correct: Array.from(st.bootCorrect) },
      }),
    };
  }

  /** An evaluator holding a state produced by `toJSON` (an object or its JSON text); its meaning is checked. */
  static fromJSON(json: unknown): LanguageModelEvaluator {
    // a state may be a Proxy or hold getters: what reading it throws becomes a XentError
    return reading('the state', json, () => LanguageModelEvaluator.read(json));
  }

  private static read(json: unknown): LanguageModelEvaluator {
    const j = stateObject(json, FORMAT, [1], 'language-model evaluator');
    const s = settingsOf(j.settings);
    const ev = new LanguageModelEvaluator(s);
    const st = ev.state;
    st.L = LikelihoodSums.fromJSON(j);
    st.correct = decCount(j.correct, 'correct');
    st.correctK = decCount(j.correctK, 'correctK');
    st.entropy = decSum(j.entropy, 'entropy');
    st.entropy2 = decSum(j.entropy2, 'entropy2');
    const n = st.L.tokens;
    expectState(st.correct <= st.correctK && st.correctK <= n, 'not top-1 correct <= top-k correct <= tokens');
    const e = j.ece as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object') throw new XentError('INVALID_TYPE', 'state.ece must be an object');
    const read = (key: string, into: Float64Array, count: boolean) => {
      const a = e[key];
      if (!Array.isArray(a) || a.length !== ECE_BINS) {
        throw new XentError('SHAPE_MISMATCH', `state.ece.${key} must be an array of ${ECE_BINS} numbers`);
      }
      for (let b = 0; b < ECE_BINS; b++) into[b] = (count ? decCount : decSum)(a[b], `ece.${key}[${b}]`);
    };
    read('weight', st.eceWeight, true);
    read('confidence', st.eceConf, false);
    read('correct', st.eceCorrect, true);
    let w = 0;
    let c = 0;
    for (let b = 0; b < ECE_BINS; b++) {
      w += st.eceWeight[b];
      c += st.eceCorrect[b];
      const fits = st.eceCorrect[b] <= st.eceWeight[b] && st.eceConf[b] <= st.eceWeight[b];
      expectState(fits, `ECE bin ${b} holds more than its tokens`);
    }
    expectState(w === n && c === st.correct, 'the ECE bins do not add up to the tokens and the correct ones');
    if (s.bootstrap !== null) readBootstrap(st, j.bootstrap);
    return ev;
  }

  result(): LanguageModelResult {
    const st = this.state;
    const s = st.settings;
    const u = Math.log(s.base);
    const n = st.L.tokens;
    return {
      unit: unitName(s.base),
      ...likelihoodFigures(st.L, u),
      accuracy: proportion(st.correct, n),
      topK: { k: s.topK, ...proportion(st.correctK, n) },
      entropy: scaled(estimate(st.entropy, st.entropy2, n), u),
      ece: expectedCalibrationError(st.eceWeight, st.eceConf, st.eceCorrect),
      reliability: reliability(st.eceWeight, st.eceConf, st.eceCorrect),
      bootstrap: st.settings.bootstrap === null ? null : meanIntervals(st.bootW, st.bootNll, st.bootCorrect, u),
    };
  }
}

/** Adds one scored token (nll l, right or not) to the bootstrap sums with its Poisson weights. */
function addDraws(u: LmState, draws: Uint8Array, key: number, l: number, ok: number): void {
  poissonWeights(key, draws);
  for (let b = 0; b < draws.length; b++) {
    const w = draws[b];
    if (w === 0) continue;
    u.bootW[b] += w;
    u.bootNll[b] += w * l;
    u.bootCorrect[b] += w * ok;
  }
}

/** Reads a state's bootstrap sums, checking their length and meaning. */
function readBootstrap(st: LmState, v: unknown): void {
  const o = v as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object') throw new XentError('INVALID_TYPE', 'state.bootstrap must be an object');
  for (const [key, into, count] of [['weight', st.bootW, true], ['nll', st.bootNll, false], ['correct', st.bootCorrect, true]] as const) {
    const a = o[key];
    if (!Array.isArray(a) || a.length !== into.length) {
      throw new XentError('SHAPE_MISMATCH', `state.bootstrap.${key} must be an array of ${into.length} numbers`);
    }
    for (let b = 0; b < a.length; b++) into[b] = (count ? decCount : decSum)(a[b], `bootstrap.${key}[${b}]`);
  }
  for (let b = 0; b < st.bootW.length; b++) {
    expectState(st.bootCorrect[b] <= st.bootW[b], `bootstrap resample ${b} has more correct tokens than tokens`);
  }
}

/** The JSON form of a LanguageModelEvaluator's state (non-finite sums as the strings "Infinity"). */
export interface LanguageModelStateJSON {
  format: typeof FORMAT;
  version: 1;
  settings: LanguageModelSettings;
  [key: string]: unknown;
}
