/**
 * The runtimes and tools that only the runtime and package tests use (Deno, Bun, workerd, TypeScript 5.0,
 * arethetypeswrong) are not in the root install: test/runtimes/package.json pins them with a lockfile of its own,
 * installed by `npm ci --prefix test/runtimes` (.ci/run does it). A test whose tool is missing is skipped with that
 * command printed, except under CI (the CI variable, which .ci/run sets), where it fails: CI cannot silently stop
 * testing a runtime.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
export const INSTALL = 'npm ci --prefix test/runtimes';

const modules = fileURLToPath(new URL('./node_modules/', import.meta.url));

/** The path of an executable installed by test/runtimes/package.json. */
export const toolBin = (name: string): string => join(modules, '.bin', name);
/** A file inside a package installed by test/runtimes/package.json. */
export const toolFile = (pkg: string, file: string): string => join(modules, pkg, file);

/** Skips the test when `path` is missing, saying how to install it; under CI, fails instead. */
export function need(ctx: { skip: (note?: string) => void }, path: string, what: string, install = INSTALL): void {
  if (existsSync(path)) return;
  const why = `${what} not found at ${path}`;
  if (CI) throw new Error(`${why} (.ci/run installs it: ${install})`);
  console.warn(`skipped: ${why}; install it with \`${install}\``);
  ctx.skip(`${why}; install it with \`${install}\``);
}
