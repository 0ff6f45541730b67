/**
 * XXH32 (standard; libcomposefs carries Linux lib/xxhash.c), used for the EROFS xattr name
 * filter (spec composefs-image.md §2.5).
 */
const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
const mul = (a: number, b: number): number => Math.imul(a, b) >>> 0;
const le32 = (b: Uint8Array, p: number): number => (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
const round = (acc: number, input: number): number => mul(rotl((acc + mul(input, P2)) >>> 0, 13), P1);

export function xxh32(data: Uint8Array, seed: number): number {
  const len = data.length;
  let p = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0;
    let v2 = (seed + P2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P1) >>> 0;
    const limit = len - 16;
    do {
      v1 = round(v1, le32(data, p));
      v2 = round(v2, le32(data, p + 4));
      v3 = round(v3, le32(data, p + 8));
      v4 = round(v4, le32(data, p + 12));
      p += 16;
    } while (p <= limit);
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = (seed + P5) >>> 0;
  }
  h = (h + len) >>> 0;
  for (; p + 4 <= len; p += 4) h = mul(rotl((h + mul(le32(data, p), P3)) >>> 0, 17), P4);
  for (; p < len; p++) h = mul(rotl((h + mul(data[p], P5)) >>> 0, 11), P1);
  h = mul(h ^ (h >>> 15), P2);
  h = mul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}
