// The Wasm core's entry point: re-exports the hot loops (SHA-2, fs-verity Merkle tree, EROFS serialization).
export function abiVersion(): u32 {
  return 1;
}

export { alloc } from './memory';
export { shaInit, shaBlocks, shaFinal } from './sha';
export { fsverityHashBlocks, fsverityHashMany, fsveritySetSimd } from './fsverity';
