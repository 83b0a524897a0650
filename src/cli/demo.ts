import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  binaryCrossEntropy, categoricalCrossEntropy, crossEntropy, entropy, information, klDivergence,
} from '../index.js';

type Print = (line: string) => void;
const f = (v: number, digits = 3) => v.toFixed(digits);

/** The worked examples of the cross-entropy family, each computed by the library. */
function examples(print: Print): void {
  const p = [0.1, 0.4, 0.5];
  const q = [0.8, 0.15, 0.05];
  const bits = { base: 2 };
  print('Distributions p = [0.10, 0.40, 0.50], q = [0.80, 0.15, 0.05], in bits:');
  print(`  H(p, q) = ${f(crossEntropy(p, q, bits))}   H(q, p) = ${f(crossEntropy(q, p, bits))}`);
  print(`  H(p) = ${f(entropy(p, bits))}   H(q) = ${f(entropy(q, bits))}   KL(p || q) = ${f(klDivergence(p, q, bits))}`);
  print(`  H(p) + KL(p || q) = ${f(entropy(p, bits) + klDivergence(p, q, bits))} = H(p, q)`);
  const u = [0.25, 0.25, 0.25, 0.25];
  print('Uniform p over 4 outcomes, in bits:');
  print(`  H(p, p) = ${f(crossEntropy(u, u, bits))}   H(p, [1/4, 1/2, 1/8, 1/8]) = ${f(crossEntropy(u, [0.25, 0.5, 0.125, 0.125], bits))}`);
  print(`  H(p, [1/4, 1/4, 1/8, 3/8]) = ${f(crossEntropy(u, [0.25, 0.25, 0.125, 0.375], bits))} = (10 - log2 3) / 4`);
  print(`Self-information in nats of 0.7, 0.2, 0.1: ${Array.from(information([0.7, 0.2, 0.1]), (v) => f(v, 2)).join(', ')}`);
  const labels = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
  const probs = [0.8, 0.9, 0.9, 0.6, 0.8, 0.1, 0.4, 0.2, 0.1, 0.3];
  const perExample = binaryCrossEntropy(probs, labels, { reduction: 'none' });
  print(`Binary cross-entropy of 10 predictions: mean ${f(binaryCrossEntropy(probs, labels))} nats`);
  print(`  per example: ${Array.from(perExample, (v) => f(v)).join(', ')}`);
  print(`One-hot [0, 1, 0] against [0.3, 0.6, 0.1]: ${f(categoricalCrossEntropy([0.3, 0.6, 0.1], 1))} nats`);
  print(`Multi-label [0, 1, 1] against sigmoid outputs [0.1, 0.7, 0.8]: ${f(binaryCrossEntropy([0.1, 0.7, 0.8], [0, 1, 1], { reduction: 'sum' }))} nats`);
  const rows = [[0.96, 0.02, 0.01, 0.01], [0.1, 0.8, 0.02, 0.08], [0.2, 0.1, 0.1, 0.6], [0.7, 0.1, 0.1, 0.1], [0.001, 0.009, 0.8, 0.19]];
  print(`Likelihood of labels [0, 1, 3, 0, 2]: summed cross-entropy ${f(categoricalCrossEntropy(rows, [0, 1, 3, 0, 2], { reduction: 'sum' }), 4)} nats`);
}

/** A file shipped in data/, as a path relative to the working directory. */
const shipped = (name: string) => relative(process.cwd(), fileURLToPath(new URL(`../data/${name}`, import.meta.url)));

/**
 * `xent demo`: the worked examples, then evaluations of the samples shipped in data/sample/ (a classifier) and
 * data/sample-lm/ (a character model's float16 logits; see README).
 */
export async function demo(print: Print, evaluate: (args: string[]) => Promise<void>): Promise<void> {
  print('Worked examples');
  examples((line) => print('  ' + line));
  print('');
  const pred = shipped('sample/logits.csv');
  const target = shipped('sample/labels.csv');
  print(`Evaluating the sample shipped with xent: xent eval ${pred} ${target}`);
  print('');
  await evaluate([pred, target]);
  const lm = [shipped('sample-lm/logits.npy'), shipped('sample-lm/tokens.npy'), '--task', 'lm', '--bytes', shipped('sample-lm/text.txt')];
  print('');
  print(`A language model's float16 logits (a character trigram model): xent eval ${lm.join(' ')}`);
  print('');
  await evaluate(lm);
}
