// Preloaded with `node --import`: a runtime whose WebAssembly has no SIMD, as far as xent's probe can tell.
WebAssembly.validate = () => false;
