// Builds dist/: the library's entries (ESM, CJS, and the workerd / edge-light ones that import dist/wasm/*.wasm
// as modules), the CLI (which reads dist/wasm/*.wasm), and the types (index.d.ts, index.d.cts).
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const common = { bundle: true, platform: 'neutral', target: 'es2022', minifySyntax: true, legalComments: 'none' };

/**
 * In an esbuild plugin's setup: load.ts (imported by select.ts) is replaced by another loader of the kernels, whose
 * builds are full, and load-full.ts (imported by full.ts: the full builds as deltas against the embedded core build)
 * by load-full-none.ts.
 */
const swapLoader = (b, file) => {
  const swap = (name, importer, to) =>
    b.onResolve({ filter: new RegExp(`^\\./${name}\\.js$`) }, (a) =>
      a.importer.endsWith(importer) ? { path: new URL(`../src/backend/${to}`, import.meta.url).pathname } : undefined,
    );
  swap('load', 'select.ts', file);
  swap('load-full', 'full.ts', 'load-full-none.ts');
};

/**
 * The default entries embed the SIMD and relaxed-SIMD builds; the scalar build is their separate module
 * dist/wasm-scalar.{js,cjs}, imported only when asked for (`ext`: the entry's format).
 */
const scalarApart = (ext) => ({
  name: 'scalar-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/wasm-scalar\.js$/ }, () => ({ path: `./wasm-scalar.${ext}`, external: true }));
  },
});
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.js', plugins: [scalarApart('js')] });
await build({ ...common, entryPoints: ['src/index.ts'], format: 'cjs', outfile: 'dist/index.cjs', plugins: [scalarApart('cjs')] });
// The CommonJS file is built for Node, whose import() of it then sees its named exports.
for (const [format, ext, platform] of [['esm', 'js', 'neutral'], ['cjs', 'cjs', 'node']]) {
  await build({ ...common, platform, entryPoints: ['src/backend/wasm-scalar.ts'], format, outfile: `dist/wasm-scalar.${ext}` });
}

// The raw modules, for the `xent/wasm/*` subpath, the module-importing entries and the CLI.
mkdirSync('dist/wasm', { recursive: true });
// xent-shared*.wasm: the shared-memory builds xent/parallel loads (its in-place arrays), never embedded.
for (const name of ['xent.wasm', 'xent-relaxed.wasm', 'xent-scalar.wasm', 'xent-shared.wasm', 'xent-shared-relaxed.wasm']) copyFileSync(`build/${name}`, `dist/wasm/${name}`);

/**
 * The entry for runtimes that refuse to compile WebAssembly from bytes: load.ts (embedded base64) is swapped for
 * load-modules.ts, whose `.wasm` imports stay imports of dist/wasm/ (`suffix` '?module' is Vercel's spelling).
 */
const moduleEntry = (suffix) => ({
  name: 'wasm-as-module',
  setup(b) {
    swapLoader(b, 'load-modules.ts');
    b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: `./wasm/${a.path.split('/').pop()}${suffix}`, external: true }));
  },
});
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/workerd.js', plugins: [moduleEntry('')] });
await build({
  ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/edge-light.js', plugins: [moduleEntry('?module')],
});

// The CLI and its `--threads` workers' entry (loaded by dist/cli.js as new URL('./cli-worker.js', import.meta.url)),
// split so that the Arrow and Parquet readers, with their decoders, are chunks of their own (dist/cli-*.js),
// loaded only when such a file is read. They read dist/wasm/ (load-files.ts) rather than carry the kernels.
await build({
  ...common,
  platform: 'node',
  plugins: [{ name: 'wasm-files', setup: (b) => swapLoader(b, 'load-files.ts') }],
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

// The `xent/parallel` entry and its workers' script (loaded as new URL('./parallel-worker.js', import.meta.url)),
// ESM for Node and browsers. Both import the main entry (dist/index.js) rather than carry the library: its imports
// of src/index.ts stay imports of './index.js', and errors.ts's XentError is the main entry's class (its helpers
// are bundled), so that there is one copy of the kernels and one XentError class.
const errorsTs = new URL('../src/core/errors.ts', import.meta.url).pathname;
const mainExternal = {
  name: 'main-entry-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: './index.js', external: true }));
    b.onResolve({ filter: /^\.\/index\.js$/, namespace: 'errors' }, () => ({ path: './index.js', external: true }));
    b.onResolve({ filter: /\/errors\.js$/ }, () => ({ path: 'core/errors', namespace: 'errors' }));
    b.onResolve({ filter: /errors\.ts$/, namespace: 'errors' }, () => ({ path: errorsTs }));
    b.onLoad({ filter: /.*/, namespace: 'errors' }, () => ({
      contents: `export * from ${JSON.stringify(errorsTs)};\nexport { XentError } from './index.js';\n`, loader: 'js',
    }));
  },
};
await build({
  ...common, entryPoints: { parallel: 'src/parallel/index.ts', 'parallel-worker': 'src/parallel/worker.ts' }, format: 'esm',
  outdir: 'dist', external: ['node:worker_threads', 'node:fs/promises'], plugins: [mainExternal],
});
for (const f of ['parallel.js', 'parallel-worker.js']) {
  const text = readFileSync(`dist/${f}`, 'utf8');
  if (/class \w+ extends Error|[A-Za-z0-9+/]{1000}/.test(text)) throw new Error(`dist/${f} carries a copy of the library`);
}

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
// xent/parallel's types import the main entry's (one XentError, one InitOptions).
const parallelTypes = await rollup({
  input: 'build/types/parallel/index.d.ts',
  plugins: [{ name: 'main-types', resolveId: (id) => (id === '../index.js' ? { id: './index.js', external: true } : null) }, dts()],
});
await parallelTypes.write({ file: 'dist/parallel.d.ts', format: 'es' });
