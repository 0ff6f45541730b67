/**
 * XXH32 (standard; libcomposefs carries Linux lib/xxhash.c), used for the EROFS xattr name
 * filter (spec composefs-image.md §2.5).
 */
const P1: u32 = 2654435761;
const P2: u32 = 2246822519;
const P3: u32 = 3266489917;
const P4: u32 = 668265263;
const P5: u32 = 374761393;

// @ts-ignore: decorator
@inline function round(acc: u32, input: u32): u32 {
  return rotl<u32>(acc + input * P2, 13) * P1;
}

/** XXH32 of the `len` bytes at `p`. */
export function xxh32(p: usize, len: i32, seed: u32): u32 {
  const end = p + <usize>len;
  let h: u32;
  if (len >= 16) {
    let v1 = seed + P1 + P2;
    let v2 = seed + P2;
    let v3 = seed;
    let v4 = seed - P1;
    const limit = end - 16;
    do {
      v1 = round(v1, load<u32>(p));
      v2 = round(v2, load<u32>(p, 4));
      v3 = round(v3, load<u32>(p, 8));
      v4 = round(v4, load<u32>(p, 12));
      p += 16;
    } while (p <= limit);
    h = rotl<u32>(v1, 1) + rotl<u32>(v2, 7) + rotl<u32>(v3, 12) + rotl<u32>(v4, 18);
  } else {
    h = seed + P5;
  }
  h += <u32>len;
  for (; p + 4 <= end; p += 4) h = rotl<u32>(h + load<u32>(p) * P3, 17) * P4;
  for (; p < end; p++) h = rotl<u32>(h + <u32>load<u8>(p) * P5, 11) * P1;
  h = (h ^ (h >>> 15)) * P2;
  h = (h ^ (h >>> 13)) * P3;
  return h ^ (h >>> 16);
}

/** XXH32 of a byte string. */
export function xxh32Bytes(b: Uint8Array, seed: u32): u32 {
  return xxh32(b.dataStart, b.length, seed);
}
