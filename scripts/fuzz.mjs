// Entry of `npm run fuzz`: bundles test/fuzz/main.ts with the current src/ (esbuild, as bench/run.mjs does) and runs
// it. Flags pass through: --runs=N (cases per function over both backends, default 100000; or FUZZ_RUNS),
// --seed=S, --only=softmax,entropy. Exits non-zero on any failure. Uses the embedded wasm bytes of src/ as they are
// (run `npm run build:wasm` first after changing assembly/).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(tmpdir(), `xent-fuzz-${process.pid}`);
mkdirSync(out, { recursive: true });
const file = join(out, 'fuzz.mjs');
await build({
  entryPoints: [join(root, 'test', 'fuzz', 'main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node18',
  outfile: file, logLevel: 'error',
});
const r = spawnSync(process.execPath, [file, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
