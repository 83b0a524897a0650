// The workerd test worker: the package's workerd entry with its .wasm files as modules, under the bytes guard.
import { attempts } from './guard.js';
import * as xent from './xent/dist/workerd.js';
import simd from './xent/dist/wasm/xent.wasm';
import cases from './cases.js';
import { runModes } from './conformance.js';

export default {
  async test() {
    const modes = ['first-call', 'init', 'relaxed', 'simd', 'scalar', 'js', 'module'];
    const results = await runModes(xent, cases, modes, { module: simd });
    console.log('XENT_RESULT ' + JSON.stringify({ attempts, results }));
  },
};
