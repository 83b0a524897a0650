// Builds dist/: the library's entries (ESM, CJS, and the workerd / edge-light ones that import dist/wasm/*.wasm
// as modules), the CLI, and the types (index.d.ts, index.d.cts).
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const common = { bundle: true, platform: 'neutral', target: 'es2022', minifySyntax: true, legalComments: 'none' };
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.js' });
await build({ ...common, entryPoints: ['src/index.ts'], format: 'cjs', outfile: 'dist/index.cjs' });

// The raw modules, for the `xent/wasm/*` subpath and the module-importing entries.
mkdirSync('dist/wasm', { recursive: true });
for (const name of ['xent.wasm', 'xent-scalar.wasm']) copyFileSync(`build/${name}`, `dist/wasm/${name}`);

/**
 * The entry for runtimes that refuse to compile WebAssembly from bytes: load.ts (embedded base64) is swapped for
 * load-modules.ts, whose `.wasm` imports stay imports of dist/wasm/ (`suffix` '?module' is Vercel's spelling).
 */
const moduleEntry = (suffix) => ({
  name: 'wasm-as-module',
  setup(b) {
    b.onResolve({ filter: /^\.\/load\.js$/ }, (a) =>
      a.importer.endsWith('select.ts') ? { path: new URL('../src/backend/load-modules.ts', import.meta.url).pathname } : undefined,
    );
    b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: `./wasm/${a.path.split('/').pop()}${suffix}`, external: true }));
  },
});
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/workerd.js', plugins: [moduleEntry('')] });
await build({
  ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/edge-light.js', plugins: [moduleEntry('?module')],
});

// The CLI and its `--threads` workers' entry (loaded by dist/cli.js as new URL('./cli-worker.js', import.meta.url)),
// split so that the Arrow and Parquet readers, with their decoders, are chunks of their own (dist/cli-*.js),
// loaded only when such a file is read.
await build({
  ...common,
  platform: 'node',
  entryPoints: { cli: 'src/cli/main.ts', 'cli-worker': 'src/cli/worker.ts' },
  format: 'esm',
  outdir: 'dist',
  splitting: true,
  chunkNames: 'cli-[name]-[hash]',
  // Also drops the bundled packages' comments (hyparquet's JSDoc types name its own source files).
  minifyWhitespace: true,
  banner: { js: '#!/usr/bin/env node' },
  define: { __XENT_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
});

// Types: tsc checks every source and emits declarations into build/types; rollup-plugin-dts bundles the public API's
// into one file, so internal modules (and their TypeScript-version-specific inferred types) are not shipped. The
// same file serves the `require` condition as index.d.cts (a .d.ts beside a .cjs would be read as ESM types).
rmSync(new URL('../build/types', import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', 'build/types'], {
  stdio: 'inherit',
});
const types = await rollup({ input: 'build/types/index.d.ts', plugins: [dts()] });
await types.write({ file: 'dist/index.d.ts', format: 'es' });
copyFileSync('dist/index.d.ts', 'dist/index.d.cts');
