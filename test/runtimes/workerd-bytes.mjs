// The default entry (embedded bytes) in workerd, which refuses to compile them: xent must fall back, not throw.
import * as xent from './xent/dist/index.js';
import cases from './cases.js';
import { runModes } from './conformance.js';

export default {
  async test() {
    const results = await runModes(xent, cases, ['first-call', 'init']);
    console.log('XENT_RESULT ' + JSON.stringify({ results }));
  },
};
