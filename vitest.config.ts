import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'threads',
    // Two test files at a time on a two-core machine. Vitest's default (a worker per core but one) runs the files one
    // after another there, with the second core left to vitest's main process, which mostly waits.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
