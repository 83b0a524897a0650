// Builds the playground: bundles main.ts (xent from ../../src) into docs/playground/dist/main.js with esbuild.
//   node docs/playground/build.mjs           build once
//   node docs/playground/build.mjs --serve   build, then serve docs/playground/ on http://127.0.0.1:8000 (rebuilt on reload)
// src/backend/wasm-bytes.ts must exist (`npm run build:wasm`; `npm run playground` does both).
import * as esbuild from 'esbuild';

const here = (p) => new URL(p, import.meta.url).pathname;
const options = {
  entryPoints: [here('./main.ts')],
  outfile: here('./dist/main.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};

if (process.argv.includes('--serve')) {
  const ctx = await esbuild.context(options);
  const { port } = await ctx.serve({ servedir: here('.'), host: '127.0.0.1', port: 8000 });
  console.log(`xent playground: http://127.0.0.1:${port}/`);
} else {
  await esbuild.build(options);
}
