/**
 * Who races on a workload. The same list is built in the main thread (for names and n/a reasons) and in each
 * contender's thread (to run its own entry), from the workload's shape and the run's settings alone.
 */
import { type Impl, notApplicable } from './impl.js';
import { onnxRuntime, tfjsPeers, transformersLogSoftmax } from './libraries.js';
import { tuned, tutorial } from './peers.js';
import {
  type Build, floors, halfContenders, xent, xentEvaluator, xentGrad, xentLanguageModelEvaluator, xentScoreTokens,
  xentZeroCopy, xentComparison, xentTwoCalls,
} from './subjects.js';
import type { WorkloadInfo } from './workloads.js';
import { xentWorkers } from './workers.js';

export interface Settings {
  quick: boolean;
  builds: Build[];
  /** The folder of bench/peers/package.json, and the compiled floor module. */
  peersDir: string;
  floorWasm: string;
}

/** Above this many elements a workload is a language model's window: the classifier-only rows sit it out. */
const LM_SIZE = 20_000_000;

export function contenders(s: WorkloadInfo, settings: Settings): Impl[] {
  if (s.half) return [xent(s, 'default'), ...halfContenders(s)];
  const big = s.rows * s.cols > LM_SIZE;
  // What takes seconds a call sits out --quick where it does (tutorial JS on W2 and W3, TF.js cpu but on W4), and
  // TF.js cpu sits out W5 (a minute a call).
  const slow = 'skipped in --quick: seconds a call';
  const cpu = big ? 'skipped: about a minute a call' : settings.quick && s.kind !== 'kl' ? slow : undefined;
  const tutorialSlow = settings.quick && (s.kind === 'sigmoid' || s.cols > 10_000) ? slow : undefined;
  const classifier = (impls: Impl[]) => impls.map((i) => (big && !i.na ? notApplicable(i.name, 'raced on W1–W4') : i));
  return [
    xent(s, 'default'), xentZeroCopy(s), xent(s, 'js'),
    tuned(s), tutorial(s, tutorialSlow),
    transformersLogSoftmax(s), onnxRuntime(s, 1), onnxRuntime(s, 2),
    ...tfjsPeers(s, 'wasm'), ...tfjsPeers(s, 'cpu', cpu),
    ...settings.builds.map((b) => xentZeroCopy(s, b)),
    ...classifier([
      xentGrad(s, 'default'), xentGrad(s, 'default', true), xentGrad(s, 'js'),
      xentEvaluator(s, 'default'), xentEvaluator(s, 'default', true), xentEvaluator(s, 'js'),
    ]),
    xentScoreTokens(s), xentLanguageModelEvaluator(s),
    xentWorkers(s, 1, big), xentWorkers(s, 2, big), xentWorkers(s, 1, big, true),
    xentTwoCalls(s), xentComparison(s), xentComparison(s, 0.6),
    ...floors(s),
  ];
}
