// Entry of the half-precision diagnostic (bench/half-paths.ts): bundles it with the current src/ (run
// `npm run build:wasm` first) into bench/build/ and runs it. Arguments pass through: --rounds=N (default 11),
// --only=W2,W5.   node bench/half-paths.mjs --only=W5
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, 'build'), { recursive: true });
const bundle = join(here, 'build', 'half-paths.bundle.mjs');
await build({
  entryPoints: [join(here, 'half-paths.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm',
  target: 'node18', packages: 'external', logLevel: 'warning',
});
const { main } = await import(pathToFileURL(bundle).href);
await main(process.argv.slice(2));
