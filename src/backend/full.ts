// The kernels of the fused gradients, the streaming evaluator and token scoring, with those of the core. The
// default entries embed a core build of the kernels (assembly/core.ts, about 60 % of the full build) and keep the
// rest in src/backend/wasm-full.ts, which only this module imports: the functions that need them call full(), so a
// bundle that never does leaves those bytes out. Elsewhere (the .wasm files of the workerd / edge-light entries and
// the CLI, the scalar build, a module given to init()) the build is full already and full() is kernels().
import type { Kernels } from './kernels.js';
import { fullModule } from './load-full.js';
import { complete } from './select.js';

export const full = (): Kernels => complete(fullModule);
