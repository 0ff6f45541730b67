/** The DIGEST field (spec composefs-image.md §3.3): 64 hex digits (either case) of a SHA-256 fs-verity digest. */

/** Bytes of the digest (twice as many hex digits). */
export const DIGEST_SIZE: i32 = 32;

/** Decodes the 64 hex digits at `ptr` to 32 bytes at `out`; false when one is not a hex digit. */
export function decodeDigest(ptr: usize, out: usize): bool {
  const a = v128.load(ptr);
  const b = v128.load(ptr + 16);
  const c = v128.load(ptr + 32);
  const d = v128.load(ptr + 48);
  if (!(allHex(a) && allHex(b) && allHex(c) && allHex(d))) return false;
  v128.store(out, i8x16.narrow_i16x8_u(hexPairs(a), hexPairs(b)));
  v128.store(out + 16, i8x16.narrow_i16x8_u(hexPairs(c), hexPairs(d)));
  return true;
}

// @ts-ignore: decorator
@inline function digitValues(v: v128): v128 {
  return i8x16.sub(v, i8x16.splat(0x30));
}

// @ts-ignore: decorator
@inline function letterValues(v: v128): v128 {
  return i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61));
}

function allHex(v: v128): bool {
  return i8x16.all_true(v128.or(i8x16.lt_u(digitValues(v), i8x16.splat(10)), i8x16.lt_u(letterValues(v), i8x16.splat(6))));
}

/** 16 hex digits as 8 u16 lanes of one byte value each: (first << 4) | second per pair. */
function hexPairs(v: v128): v128 {
  const digit = digitValues(v);
  const value = v128.bitselect(digit, i8x16.add(letterValues(v), i8x16.splat(10)), i8x16.lt_u(digit, i8x16.splat(10)));
  // Little-endian u16 lane = first digit | second digit << 8.
  return v128.or(v128.and(i16x8.shl(value, 4), i16x8.splat(0xf0)), i16x8.shr_u(value, 8));
}
