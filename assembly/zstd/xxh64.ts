/**
 * XXH64 (seed 0), streaming: the zstd frame content checksum is its low 32 bits. The block
 * decoder (decoder.ts) hashes each block's output where it lies, with `hashRange`.
 */
const P1: u64 = 0x9e3779b185ebca87;
const P2: u64 = 0xc2b2ae3d27d4eb4f;
const P3: u64 = 0x165667b19e3779f9;
const P4: u64 = 0x85ebca77c2b2ae63;
const P5: u64 = 0x27d4eb2f165667c5;
/** State layout: 4 lane accumulators, total length, tail length, then up to 31 tail bytes (a stripe is 32). */
const V1 = 0, V2 = 8, V3 = 16, V4 = 24, TOTAL = 32, TAIL_LEN = 40, TAIL = 48, STATE_SIZE = 80;

// @ts-ignore: decorator
@inline function round(acc: u64, lane: u64): u64 {
  return rotl<u64>(acc + lane * P2, 31) * P1;
}

// @ts-ignore: decorator
@inline function merge(acc: u64, v: u64): u64 {
  return (acc ^ round(0, v)) * P1 + P4;
}

/** A new hash state (never freed). */
export function xxh64State(): usize {
  return heap.alloc(STATE_SIZE);
}

export function xxh64Reset(s: usize): void {
  store<u64>(s, P1 + P2, V1);
  store<u64>(s, P2, V2);
  store<u64>(s, 0, V3);
  store<u64>(s, 0 - P1, V4);
  store<u64>(s, 0, TOTAL);
  store<u64>(s, 0, TAIL_LEN);
}

function stripes(s: usize, p: usize, end: usize): void {
  let a = load<u64>(s, V1), b = load<u64>(s, V2), c = load<u64>(s, V3), d = load<u64>(s, V4);
  while (p + 32 <= end) {
    a = round(a, load<u64>(p));
    b = round(b, load<u64>(p, 8));
    c = round(c, load<u64>(p, 16));
    d = round(d, load<u64>(p, 24));
    p += 32;
  }
  store<u64>(s, a, V1);
  store<u64>(s, b, V2);
  store<u64>(s, c, V3);
  store<u64>(s, d, V4);
}

/** Hashes the `len` bytes at `p` into state `s`. */
export function hashRange(s: usize, p: usize, len: usize): void {
  store<u64>(s, load<u64>(s, TOTAL) + <u64>len, TOTAL);
  const end = p + len;
  let tailLen = <usize>load<u64>(s, TAIL_LEN);
  if (tailLen > 0) {
    const take = min<usize>(32 - tailLen, len);
    memory.copy(s + TAIL + tailLen, p, take);
    tailLen += take;
    p += take;
    if (tailLen < 32) {
      store<u64>(s, tailLen, TAIL_LEN);
      return;
    }
    stripes(s, s + TAIL, s + TAIL + 32);
  }
  const whole = p + ((end - p) & ~(<usize>31));
  stripes(s, p, whole);
  memory.copy(s + TAIL, whole, end - whole);
  store<u64>(s, end - whole, TAIL_LEN);
}

/** The hash of everything given to state `s` since `xxh64Reset`. */
export function xxh64Digest(s: usize): u64 {
  const total = load<u64>(s, TOTAL);
  let h: u64;
  if (total >= 32) {
    const v1 = load<u64>(s, V1), v2 = load<u64>(s, V2), v3 = load<u64>(s, V3), v4 = load<u64>(s, V4);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = P5;
  }
  h += total;
  let p = s + TAIL;
  const end = p + <usize>load<u64>(s, TAIL_LEN);
  while (p + 8 <= end) {
    h = rotl<u64>(h ^ round(0, load<u64>(p)), 27) * P1 + P4;
    p += 8;
  }
  if (p + 4 <= end) {
    h = rotl<u64>(h ^ (<u64>load<u32>(p) * P1), 23) * P2 + P3;
    p += 4;
  }
  while (p < end) {
    h = rotl<u64>(h ^ (<u64>load<u8>(p) * P5), 11) * P1;
    p++;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}
