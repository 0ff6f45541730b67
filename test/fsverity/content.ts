/** The vectors' file content rule (test/vectors/fsverity/digests.json): byte i = (i*131 + (i>>12)*7 + seed) & 0xff. */
export function ruleContent(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 131 + Math.floor(i / 4096) * 7 + seed) & 0xff;
  return out;
}

/** Splits data into chunks of pseudo-random sizes 1..maxChunk (deterministic per seed). */
export function* chunks(data: Uint8Array, seed: number, maxChunk: number): Generator<Uint8Array> {
  let x = seed >>> 0 || 1;
  for (let off = 0; off < data.length; ) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = 1 + ((x >>> 0) % maxChunk);
    yield data.subarray(off, off + n);
    off += n;
  }
}
