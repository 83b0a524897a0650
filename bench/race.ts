/**
 * One race: every contender on one workload, in one process, taking turns round by round.
 *
 * Each contender lives in a worker thread of its own (V8's feedback and optimised code are per isolate, and on
 * x86-64 the upper halves of the vector registers are per thread: a peer that leaves them dirty, as Node's SIMD
 * base64 routines can, makes every Math.exp on its thread ~2.4× slower, which must not be charged to the next
 * contender). Only one thread runs at a time: the main thread hands the workload's arrays to a contender by
 * transfer (one copy exists, whoever holds it), the contender times one call and hands them back, and the next one
 * goes. Each round takes the contenders in an order of its own (roundOrder()), so that no contender always follows
 * the same one. A call therefore meets what a real call meets — caches and predictors left by other work — instead
 * of the warm state that timing one implementation back-to-back gives it (measured here: that flatters it by 14–29 %
 * on W1 and up to 2× on L2-sized data).
 */
import { Worker, parentPort } from 'node:worker_threads';
import { type Impl, Unavailable } from './impl.js';
import { errText, raceRounds, relativeError, roundOrder, stride } from './stats.js';
import { type Buffers, type Workload, type WorkloadInfo, buildWorkload, ship, transferList, unship } from './workloads.js';

export interface Pace {
  rounds: number;
  /**
   * What a contender's timed calls may add up to in one race: one whose calls take longer runs in every k-th round
   * only (stride()), so that a peer taking seconds a call does not hold the race for minutes.
   */
  budgetMs: number;
  /** A race runs more rounds (up to 4 × rounds) while its calls add up to no more than this (raceRounds()). */
  raceMs: number;
  /** Untimed calls after the first (JIT warm-up), for contenders whose first call takes under warmupMs. */
  warmups: number;
  warmupMs: number;
  /**
   * Untimed rounds of the contenders whose calls take under warmupMs, for at least this long after every
   * contender is set up, before the timed rounds (see race()).
   */
  settleMs: number;
}

export interface ContenderResult {
  name: string;
  na?: string;
  error?: string;
  floor?: boolean;
  /** The first call's mean, and its relative error against the workload's float64 reference. */
  value?: number;
  relErr?: number;
  note?: string;
  firstMs?: number;
  /** Milliseconds of the timed call in each round; null where the contender sat the round out. */
  times: (number | null)[];
  /** It ran in every `stride`-th round. */
  stride?: number;
}

export interface RaceResult {
  workload: WorkloadInfo;
  rounds: number;
  contenders: ContenderResult[];
}

/** What a contender's thread is told: enough to build its Impl again (bench/contenders.ts decides which). */
export interface ContenderJob {
  info: WorkloadInfo;
  name: string;
  /** Opaque to the race: the runner's settings (quick, paths, builds), passed through to `make`. */
  settings: unknown;
}

type Request = { type: 'setup' | 'run' | 'end'; buffers?: Buffers };
type Reply =
  | { type: 'ready'; value: number | null; firstMs: number; callMs: number; note?: string; buffers: Buffers }
  | { type: 'time'; ms: number; buffers: Buffers }
  | { type: 'ended'; sink: number }
  | { type: 'na' | 'error'; message: string; buffers?: Buffers };

const errorText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0];

/** One request to a contender's thread and its reply; a thread that fails or exits replies with an error. */
function ask(worker: Worker, request: Request): Promise<Reply> {
  return new Promise((resolve) => {
    const done = (r: Reply) => {
      worker.off('message', done);
      worker.off('error', failed);
      worker.off('exit', exited);
      resolve(r);
    };
    const failed = (e: Error) => done({ type: 'error', message: errorText(e) });
    const exited = (code: number) => done({ type: 'error', message: `the contender's thread exited (code ${code})` });
    worker.on('message', done);
    worker.on('error', failed);
    worker.on('exit', exited);
    worker.postMessage(request, request.buffers ? transferList(request.buffers) : []);
  });
}

interface Entrant {
  impl: Impl;
  result: ContenderResult;
  worker?: Worker;
  /** Its call's time after warm-up, for its stride. */
  callMs?: number;
}

/**
 * Races `impls` (built in this thread only for their names and n/a reasons) on workload `w`. `entry` is the module
 * the contenders' threads run (the bench bundle), `settings` what they need to build their Impl; `log` gets
 * progress lines; `reference` names the contender that runs in every round whatever its calls cost.
 */
export async function race(
  w: Workload, impls: Impl[], pace: Pace, entry: URL, settings: unknown, log: (line: string) => void, reference: string,
): Promise<RaceResult> {
  let { shipped: info, buffers } = ship(w);
  const entrants: Entrant[] = impls.map((impl) => ({
    impl,
    result: { name: impl.name, na: impl.na, floor: impl.floor, times: [] },
  }));
  const live = () => entrants.filter((e) => e.worker && !e.result.error);

  // A thread that dies while it holds the data takes the buffers with it: the workload is built again (seeded).
  const take = (reply: Reply) => {
    if ('buffers' in reply && reply.buffers) buffers = reply.buffers;
    else ({ buffers } = ship(buildWorkload(info)));
  };
  const fail = (e: Entrant, message: string) => {
    e.result.error = message;
    void e.worker?.terminate();
  };
  // One timed call of a contender: its time, or null when it failed (it is then out of the race).
  const turn = async (e: Entrant): Promise<number | null> => {
    const reply = await ask(e.worker!, { type: 'run', buffers });
    take(reply);
    if (reply.type === 'time') return reply.ms;
    fail(e, reply.type === 'error' ? reply.message : `unexpected reply ${reply.type}`);
    return null;
  };

  for (const e of entrants) {
    if (e.impl.na) continue;
    const job: ContenderJob = { info, name: e.impl.name, settings };
    e.worker = new Worker(entry, { workerData: { benchContender: job } });
  }
  for (const e of entrants.filter((x) => x.worker)) {
    const reply = await ask(e.worker!, { type: 'setup', buffers });
    take(reply);
    if (reply.type === 'na') {
      e.result.na = reply.message;
      void e.worker!.terminate();
      e.worker = undefined;
      log(`  ${e.impl.name.padEnd(42)} n/a: ${reply.message}`);
      continue;
    }
    if (reply.type !== 'ready') {
      fail(e, reply.type === 'error' ? reply.message : `unexpected reply ${reply.type}`);
      log(`  ${e.impl.name.padEnd(42)} ${e.result.error}`);
      continue;
    }
    Object.assign(e.result, { value: reply.value ?? undefined, firstMs: reply.firstMs, note: reply.note });
    if (!e.impl.floor && reply.value !== null) e.result.relErr = relativeError(reply.value, info.reference);
    e.callMs = reply.callMs;
  }
  // The reference runs every round: every ratio in the headline is taken against it.
  const strideOf = (e: Entrant, n: number) => (e.impl.name === reference ? 1 : stride(e.callMs!, n, pace.budgetMs));
  const raceTime = (n: number) => live().reduce((t, e) => t + e.callMs! * Math.ceil(n / strideOf(e, n)), 0);
  const rounds = raceRounds(pace.rounds, pace.raceMs, raceTime);
  if (rounds > pace.rounds) log(`  ${rounds} rounds (about ${(raceTime(rounds) / 1000).toFixed(0)} s of calls)`);
  for (const e of live()) {
    const k = (e.result.stride = strideOf(e, rounds));
    const err = e.result.relErr === undefined ? '' : `, rel. error ${errText(e.result.relErr)}`;
    log(`  ${e.impl.name.padEnd(42)} first call ${e.result.firstMs!.toFixed(1)} ms${err}${k > 1 ? ` (every ${k} rounds)` : ''}`);
  }

  // Untimed rounds first. Every thread has just loaded its code and data, one after another, and what that leaves
  // to the process's shared helper threads (compilation, collection) made the calls of the contenders set up last
  // up to twice as slow for 10-15 s after the last setup (measured call by call): rounds timed then measure that.
  const settleEnd = performance.now() + pace.settleMs;
  let settled = 0;
  while (performance.now() < settleEnd) {
    const field = live().filter((e) => e.callMs! < pace.warmupMs);
    if (field.length === 0) break;
    for (const i of roundOrder(field.length, -1 - settled)) await turn(field[i]);
    settled++;
  }
  if (settled > 0) log(`  ${settled} untimed rounds (${(pace.settleMs / 1000).toFixed(0)} s) before the timed ones`);

  for (let r = 0; r < rounds; r++) {
    const field = live();
    for (const i of roundOrder(field.length, r)) {
      const e = field[i];
      if (r % e.result.stride! !== 0) continue;
      const ms = await turn(e);
      if (ms !== null) e.result.times[r] = ms;
    }
  }
  for (const e of entrants) e.result.times = Array.from({ length: rounds }, (_, r) => e.result.times[r] ?? null);

  await Promise.all(live().map(async (e) => {
    await ask(e.worker!, { type: 'end' });
    await e.worker!.terminate();
  }));
  return { workload: info, rounds, contenders: entrants.map((e) => e.result) };
}

/**
 * The contender's side, in its worker thread: `make` builds its Impl from the job; then it answers the main
 * thread's requests (setup with a first call and warm-ups, one timed call per turn, teardown), handing the
 * workload's buffers back each time.
 */
export function serveContender(job: ContenderJob, make: (job: ContenderJob) => Impl, pace: Pace): void {
  const port = parentPort!;
  let impl: Impl | null = null;
  let sink = 0;
  const call = async (w: Workload) => {
    const t0 = performance.now();
    let v = impl!.fn(w);
    if (v instanceof Promise) v = await v;
    const ms = performance.now() - t0;
    sink += v ?? 0;
    return { v: v ?? null, ms };
  };
  port.on('message', async (req: Request) => {
    const buffers = req.buffers;
    try {
      if (req.type === 'end') {
        impl?.teardown?.();
        // The values are summed so that no call's result is dead code; the sum goes nowhere.
        port.postMessage({ type: 'ended', sink });
        return;
      }
      const w = unship(job.info, buffers!);
      if (req.type === 'setup') {
        impl = make(job);
        await impl.setup?.(w);
        const first = await call(w);
        let callMs = first.ms;
        for (let i = 0; i < pace.warmups && first.ms < pace.warmupMs; i++) callMs = Math.min(callMs, (await call(w)).ms);
        port.postMessage({ type: 'ready', value: first.v, firstMs: first.ms, callMs, note: impl.note?.(), buffers }, transferList(buffers!));
      } else {
        const { ms } = await call(w);
        port.postMessage({ type: 'time', ms, buffers }, transferList(buffers!));
      }
    } catch (e) {
      const type = e instanceof Unavailable ? 'na' : 'error';
      port.postMessage({ type, message: e instanceof Unavailable ? e.message : errorText(e), buffers }, buffers ? transferList(buffers) : []);
    }
  });
}
