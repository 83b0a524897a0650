// Runs in every test worker before the test files. Node 20 has WebAssembly relaxed SIMD behind a V8 flag (Node 22+
// have it on, and reject the flag): turned on here, process-wide and before any module is compiled, so that the
// relaxed-SIMD build runs its tests on Node 20 too. Node 20 without the flag (a plain `node`) is covered by the
// runtime tests, which start their own processes.
import v8 from 'node:v8';
import { expect } from 'vitest';
import { typedArrayEquality } from './equality.js';

if (process.versions.node.split('.')[0] === '20') v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

// Typed arrays compared by toEqual in linear time, with vitest's answers: see test/equality.ts.
expect.addEqualityTesters([typedArrayEquality]);
