/**
 * fromLogprobs against the NumPy fixtures (scripts/lm_fixtures.py: payloads in the chat and legacy completions
 * shapes, perplexity, bits per byte and the entropy lower bound computed there, the bound checked against random
 * completions of each distribution), the other response shapes (Responses API, llama.cpp's server), the sentinels
 * and the errors. No kernel is involved: one backend is enough.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromLogprobs } from '../src/index.js';
import { entropyBound } from '../src/eval/logprobs.js';
import { decode, expectClose, expectXent } from './helpers.js';

interface Expected {
  tokens: number;
  nats: number;
  natsSE: number;
  corpusPerplexity: number;
  meanSequencePerplexity: number;
  bitsPerByte: number | null;
  entropyLowerBound: number | null;
  entropyPositions: number;
  perResponse: {
    tokens: number; nll: number; perplexity: number; bitsPerByte: number | null; entropyLowerBound: number | null;
  }[];
}

const lm = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/lm.json', import.meta.url)), 'utf8'));
const CASES = (lm.logprobs as { name: string; input: unknown; expected: unknown }[])
  .map((c) => ({ ...c, expected: decode<Expected>(c.expected) }));
const REL = 1e-12;

describe('fromLogprobs', () => {
  for (const c of CASES) {
    it(`${c.name} (NumPy fixture)`, () => {
      const want = c.expected;
      const r = fromLogprobs(c.input);
      expect(r.tokens).toBe(want.tokens);
      expectClose(r.nats.value, want.nats, REL, 0, 'nats');
      expectClose(r.nats.standardError, want.natsSE, REL, 0, 'nats SE');
      expectClose(r.corpusPerplexity.value, want.corpusPerplexity, REL, 0, 'corpus perplexity');
      expectClose(r.meanSequencePerplexity.value, want.meanSequencePerplexity, REL, 0, 'mean response perplexity');
      if (want.bitsPerByte === null) expect(r.bitsPerByte).toBeNull();
      else expectClose(r.bitsPerByte!.value, want.bitsPerByte, REL, 0, 'bits per byte');
      expect(r.entropyLowerBound.positions).toBe(want.entropyPositions);
      expectClose(r.entropyLowerBound.value, want.entropyLowerBound ?? NaN, REL, 0, 'entropy bound');
      expect(r.perResponse.length).toBe(want.perResponse.length);
      r.perResponse.forEach((p, i) => {
        const w = want.perResponse[i];
        expect(p.tokens).toBe(w.tokens);
        expectClose(p.nll, w.nll, REL, 0, `response ${i} nll`);
        expectClose(p.perplexity, w.perplexity, REL, 0, `response ${i} perplexity`);
        if (w.bitsPerByte === null) expect(p.bitsPerByte).toBeNull();
        else expectClose(p.bitsPerByte!, w.bitsPerByte, REL, 0, `response ${i} bits per byte`);
        if (w.entropyLowerBound === null) expect(p.entropyLowerBound).toBeNull();
        else expectClose(p.entropyLowerBound!, w.entropyLowerBound, REL, 0, `response ${i} entropy bound`);
      });
      // Its JSON text reads the same.
      expect(fromLogprobs(JSON.stringify(c.input)).nats).toEqual(r.nats);
    });
  }

  it('sets sentinels aside, counts and locates them', () => {
    const [chat, legacy] = CASES.map((c) => fromLogprobs(c.input));
    expect(chat.sentinels).toEqual({ filler: 2, zero: 0, nullFirst: 0, null: 0, positive: 0 }); // each input's first choice
    expect(chat.perResponse[0].sentinels).toEqual([{ position: 3, kind: 'filler' }]);
    expect(chat.perResponse[0].scored[3]).toBe(0);
    expect(chat.perResponse[0].logprob[3]).toBe(0);
    expect([chat.responses, chat.withoutLogprobs]).toEqual([3, 0]);
    expect(legacy.sentinels).toEqual({ filler: 0, zero: 1, nullFirst: 1, null: 0, positive: 1 });
    expect(legacy.perResponse[0].sentinels.map((s) => s.kind)).toEqual(['nullFirst', 'positive', 'zero']);
    expect(legacy.perResponse[0].positions).toBe(7);
    expect(Number.isFinite(legacy.nats.value)).toBe(true);
  });

  it('reads the Responses API and llama.cpp shapes as it reads chat completions', () => {
    const tokens = [
      { token: 'Hi', logprob: -0.5, bytes: [72, 105], top_logprobs: [
        { token: 'Hi', logprob: -0.5, bytes: [72, 105] }, { token: 'Yo', logprob: -1.5, bytes: [89, 111] }] },
      { token: '!', logprob: -2, bytes: [33], top_logprobs: [
        { token: '.', logprob: -0.3, bytes: [46] }, { token: '?', logprob: -1.9, bytes: [63] }] },
    ];
    const chat = fromLogprobs({ choices: [{ index: 0, logprobs: { content: tokens } }] });
    const responses = fromLogprobs({ output: [{ type: 'message', content: [
      { type: 'output_text', text: 'Hi', logprobs: tokens.slice(0, 1) },
      { type: 'output_text', text: '!', logprobs: tokens.slice(1) },
    ] }] });
    const llama = fromLogprobs({ content: 'Hi!', completion_probabilities: tokens.map((t, i) => ({ id: i, ...t })) });
    const bare = fromLogprobs(tokens);
    for (const r of [responses, llama, bare]) {
      expect(r.nats).toEqual(chat.nats);
      expect(r.bitsPerByte).toEqual(chat.bitsPerByte);
      expect(r.entropyLowerBound).toEqual(chat.entropyLowerBound);
    }
    expectClose(chat.nats.value, 1.25, 1e-15, 0, 'nats');
    expect(chat.bitsPerByte!.bytes).toBe(3);
    expectClose(chat.bitsPerByte!.value, 2.5 / 3 / Math.LN2, 1e-15, 0, 'bits per byte');
    // Position 0: the sampled token is listed; position 1: it is not, so its probability joins the known terms.
    const h0 = entropyBound([Math.exp(-0.5), Math.exp(-1.5)], 0);
    const h1 = entropyBound([Math.exp(-0.3), Math.exp(-1.9)], Math.exp(-2));
    expectClose(chat.perResponse[0].entropyBound, [h0, h1], 1e-15, 0, 'bounds');
    // llama.cpp's post-sampling probabilities (prob, top_probs) instead of log-probabilities.
    const post = fromLogprobs({ completion_probabilities: tokens.map((t) => ({
      token: t.token,
      prob: Math.exp(t.logprob),
      top_probs: t.top_logprobs.map((e) => ({ token: e.token, prob: Math.exp(e.logprob) })),
    })) });
    expectClose(post.nats.value, 1.25, 1e-15, 0, 'nats from probabilities');
    expect(post.bitsPerByte).toBeNull();
  });

  it('the entropy bound is the entropy when the list holds all the mass, and never above it', () => {
    expectClose(entropyBound([0.5, 0.25, 0.25], 0), 1.5 * Math.LN2, 1e-15, 0, 'complete');
    // Leftover 0.3 under a cap of 0.1: three more tokens of 0.1.
    const filled = -(0.4 * Math.log(0.4) + 0.2 * Math.log(0.2) + 4 * 0.1 * Math.log(0.1));
    expectClose(entropyBound([0.4, 0.2, 0.1], 0), filled, 1e-14, 0, 'filled');
    // Leftover 0.25 under a cap of 0.1: two of 0.1 and one of 0.05.
    expectClose(entropyBound([0.65, 0.1], 0),
      -(0.65 * Math.log(0.65) + 3 * 0.1 * Math.log(0.1) + 0.05 * Math.log(0.05)), 1e-14, 0, 'remainder');
    // Rounded API values that sum past 1 leave no leftover.
    expect(entropyBound([0.7, 0.300001], 0)).toBeCloseTo(-(0.7 * Math.log(0.7) + 0.300001 * Math.log(0.300001)), 15);
  });

  it('counts choices without logprobs, and a response with nothing scored', () => {
    const r = fromLogprobs([
      { choices: [
        { index: 0, logprobs: null },
        { index: 1, logprobs: { content: [{ token: 'a', logprob: -9999, bytes: null, top_logprobs: [] }] } },
      ] },
      { choices: [{ index: 0, logprobs: { content: null } }] },
    ]);
    expect([r.responses, r.withoutLogprobs, r.tokens, r.emptySequences]).toEqual([1, 2, 0, 1]);
    expect(Number.isNaN(r.perResponse[0].perplexity)).toBe(true);
    expect(Number.isNaN(r.nats.value)).toBe(true);
  });

  it('reports U+FFFD bytes, which servers send for parts of a character', () => {
    const r = fromLogprobs({ content: [
      { token: '\ufffd', logprob: -0.1, bytes: [239, 191, 189], top_logprobs: [] },
      { token: 'x', logprob: -0.2, bytes: [120], top_logprobs: [] },
    ] });
    expect(r.replacementBytes).toBe(1);
    expect(r.bitsPerByte!.bytes).toBe(4);
  });

  it('rejects malformed input, naming where', () => {
    expectXent(() => fromLogprobs({ choices: [{ logprobs: { content: [{ token: 'a', logprob: '-1' }] } }] }),
      'INVALID_TYPE', 'input[0] choice 0 position 0');
    expectXent(() => fromLogprobs([{ token: 'a', logprob: NaN }]), 'NON_FINITE', 'position 0');
    expectXent(() => fromLogprobs({ text: 'hello' }), 'INVALID_TYPE', 'input[0]', 'choices[].logprobs.content');
    expectXent(() => fromLogprobs({ choices: [{ logprobs: { tokens: ['a', 'b'], token_logprobs: [-1] } }] }),
      'SHAPE_MISMATCH', 'token_logprobs');
    expectXent(() => fromLogprobs([{ token: 'a', logprob: -1, bytes: 'ab' }]), 'INVALID_TYPE', 'bytes');
    expectXent(() => fromLogprobs('{"choices": ['), 'INVALID_TYPE', 'JSON');
    expectXent(() => fromLogprobs([], { base: 1 }), 'INVALID_OPTION', 'base');
  });
});
