/**
 * One Node version's run of the benchmark: a race per workload (bench/race.ts), its results written as JSON for
 * bench/run.mjs, which starts this under each Node version and writes bench/RESULTS.md from all of them. Bundled
 * by run.mjs with the current src/ into bench/build/run.bundle.mjs; the same bundle is the contenders' thread entry.
 *
 * Arguments (given to npm run bench, passed through):
 *   --quick              3 rounds, W2 and W5 at a fraction of their rows, no call of seconds (TF.js cpu on W4 only,
 *                        tutorial JS not on W2 and W3): about a minute
 *   --rounds=N           rounds per race (default 21; --quick 3)
 *   --only=W1,W5         some workloads
 *   --impl=tuned,onnx    contenders whose name contains one of these (xent, the reference, always runs)
 *   --build=NAME={json}  a wasm build raced through init() options (replaces the build of that NAME)
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { isMainThread, workerData } from 'node:worker_threads';
import { type Settings, contenders } from './contenders.js';
import { setPeersDir } from './impl.js';
import { type ContenderJob, type Pace, race, serveContender } from './race.js';
import { REFERENCE, type RunResult, raceText } from './report.js';
import { BUILDS, type Build, loadFloor, takesHalf } from './subjects.js';
import { WORKLOADS, buildWorkload, sized } from './workloads.js';

const FULL: Pace = { rounds: 21, budgetMs: 10_000, raceMs: 60_000, warmups: 3, warmupMs: 400, settleMs: 15_000 };
const QUICK: Pace = { rounds: 3, budgetMs: 600, raceMs: 0, warmups: 1, warmupMs: 250, settleMs: 0 };

interface ChildSettings extends Settings {
  pace: Pace;
}

function machine(): string {
  const cpus = os.cpus();
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${gib} GiB memory, ${os.platform()} ${os.arch()}`;
}

const option = (argv: string[], name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** BUILDS with --build=NAME={json} applied: the options replace those of the build of that name, or add one. */
function builds(argv: string[]): Build[] {
  const out = BUILDS.map((b) => ({ ...b }));
  for (const a of argv.filter((x) => x.startsWith('--build='))) {
    const eq = a.indexOf('=', '--build='.length);
    if (eq < 0) throw new Error(`${a}: expected --build=NAME={init options as JSON}`);
    const name = a.slice('--build='.length, eq);
    const options = JSON.parse(a.slice(eq + 1));
    const b = out.find((x) => x.name === name);
    if (b) b.options = [options];
    else out.push({ name, options: [options], backend: /./ });
  }
  return out;
}

export async function main(argv: string[], paths: { floorWasm: string; peersDir: string; json: string }): Promise<void> {
  const started = performance.now();
  const loadStart = os.loadavg();
  const quick = argv.includes('--quick');
  const pace = { ...(quick ? QUICK : FULL) };
  const rounds = Number(option(argv, 'rounds'));
  if (rounds > 0) pace.rounds = Math.floor(rounds);
  const only = option(argv, 'only')?.split(',');
  const picked = option(argv, 'impl')?.split(',');
  const settings: ChildSettings = { quick, pace, builds: builds(argv), peersDir: paths.peersDir, floorWasm: paths.floorWasm };
  setPeersDir(paths.peersDir);

  const notes: string[] = [];
  const half = takesHalf();
  if (!half) notes.push('W5-f16 not raced: xent takes no half-precision input yet');
  if (picked) notes.push(`contenders picked with --impl=${picked.join(',')}`);
  const specs = WORKLOADS.filter((w) => (!only || only.includes(w.id)) && (half || !w.half));
  const result: RunResult = {
    info: {
      node: process.version, v8: process.versions.v8, machine: machine(), date: new Date().toISOString(), quick,
      loadStart, loadEnd: loadStart, wallSeconds: 0, pace, notes,
    },
    races: [],
  };
  console.log(`xent bench (${quick ? 'quick' : 'full'}) under Node ${process.version} on ${machine()}, load ${loadStart[0].toFixed(2)}`);
  for (const spec of specs) {
    const tb = performance.now();
    const w = buildWorkload(sized(spec, quick));
    console.log(`\n${w.id} ${w.title} (data ${((performance.now() - tb) / 1000).toFixed(1)} s)`);
    const impls = contenders(w, settings).filter((i) => !picked || i.name === REFERENCE || picked.some((p) => i.name.includes(p)));
    const tr = performance.now();
    const r = await race(w, impls, pace, new URL(import.meta.url), settings, (line) => console.log(line), REFERENCE);
    result.races.push(r);
    console.log(`\n${raceText(result, r)}\n(${((performance.now() - tr) / 1000).toFixed(1)} s)`);
  }
  result.info.loadEnd = os.loadavg();
  result.info.wallSeconds = (performance.now() - started) / 1000;
  writeFileSync(paths.json, JSON.stringify(result));
}

if (!isMainThread && (workerData as { benchContender?: ContenderJob } | null)?.benchContender) {
  const job = (workerData as { benchContender: ContenderJob }).benchContender;
  const settings = job.settings as ChildSettings;
  setPeersDir(settings.peersDir);
  loadFloor(settings.floorWasm);
  // TF.js greets Node users on the console when its backends start; the bench's output is its own.
  const warn = console.warn;
  console.warn = (...a: unknown[]) => {
    if (!String(a[0]).includes('TensorFlow.js')) warn(...a);
  };
  serveContender(job, (j) => contenders(j.info, settings).find((i) => i.name === j.name)!, settings.pace);
}

// For bench/run.mjs, which writes the tables once every Node version has run.
export { goalsText, problems, resultsMarkdown } from './report.js';
