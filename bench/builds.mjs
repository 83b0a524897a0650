// Entry of `node bench/builds.mjs [--rounds=N] [--only=W1,W3] [--against=FILE]`: the relaxed-SIMD build against the
// SIMD build (bench/builds.ts), on the .wasm files in build/ (run `npm run build:wasm` first); with --against, another
// .wasm (say, a copy of build/xent.wasm made before a change) against build/xent.wasm. Use the Node to be measured:
// relaxed SIMD needs Node >= 22 (or Node 20 with --experimental-wasm-relaxed-simd).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, 'build'), { recursive: true });
const bundle = join(here, 'build', 'builds.bundle.mjs');
await build({
  entryPoints: [join(here, 'builds.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', target: 'node18',
  packages: 'external', logLevel: 'warning',
});
const { main } = await import(pathToFileURL(bundle).href);
main(process.argv.slice(2), join(dirname(here), 'build'));
