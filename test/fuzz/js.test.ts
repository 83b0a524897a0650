// The TypeScript-backend half of the CI fuzz run (test/fuzz.test.ts runs the wasm half and the known-bug repros).
import { fuzzBackend } from './ci.js';

fuzzBackend('js');
