// Builds dist/: ESM and CommonJS bundles of the library, the CLI, and .d.ts types (tsc).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const common = { bundle: true, platform: 'neutral', target: 'es2022', minifySyntax: true, legalComments: 'none' };
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.js' });
await build({ ...common, entryPoints: ['src/index.ts'], format: 'cjs', outfile: 'dist/index.cjs' });
await build({
  ...common,
  platform: 'node',
  entryPoints: ['src/cli/main.ts'],
  format: 'esm',
  outfile: 'dist/cli.js',
  banner: { js: '#!/usr/bin/env node' },
  define: { __XENT_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
});
// The `--threads` workers' entry: loaded by dist/cli.js as new URL('./cli-worker.js', import.meta.url).
await build({ ...common, platform: 'node', entryPoints: ['src/cli/worker.ts'], format: 'esm', outfile: 'dist/cli-worker.js' });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', 'dist'], {
  stdio: 'inherit',
});
