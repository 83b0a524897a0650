// The shared-memory build's exports (xent-shared.wasm, xent-shared-relaxed.wasm): the kernels xent/parallel runs,
// compiled from the same source as the other builds (so their results are the same to the bit), against a shared
// memory the module imports. Every thread of a Pool instantiates it on the one memory: logits placed there are read
// in place by all. Module globals (the row hints, smoothW) are each instance's own; the `memory.data` constants are
// written, the same bytes, by every instantiation; the kernels use no other memory than their arguments' (the half
// variants' scratch rows are an argument: each thread gets its own).
export {
  hasSimd, hasRelaxedSimd, heapBase, softmaxCrossEntropyLabels_f32, softmaxCrossEntropyLabels_f64,
  softmaxCrossEntropyLabels_f16, softmaxCrossEntropyLabels_bf16,
} from './index';
