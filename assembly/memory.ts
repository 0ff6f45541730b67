// Buffers the host reads data into and gets results from: allocated once at start-up (stub
// runtime: a bump allocator), so Wasm memory does not grow while the host holds views on it.

export function alloc(size: usize): usize {
  return heap.alloc(size);
}
