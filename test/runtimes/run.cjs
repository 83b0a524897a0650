// Node (CommonJS): require('xent') picks the `require` condition.
const xent = require('xent');
const cases = require('./cases.cjs');

import('./conformance.mjs').then(async ({ runModes }) => {
  const results = await runModes(xent, cases, process.argv.slice(2));
  console.log('XENT_RESULT ' + JSON.stringify({ entry: require.resolve('xent'), results }));
});
