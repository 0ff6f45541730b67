/**
 * Integer fields of a dumpfile, parsed with C `strtoull` rules (spec composefs-image.md §3.5 step 7):
 * optional leading whitespace, an optional `+`/`-` (minus negates modulo 2^64), digits up to the
 * end of the field, at least one digit; overflow saturates to 2^64 - 1.
 */

const U64_MAX = (1n << 64n) - 1n;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Parses buf[start, end) in base 8 or 10; null when C would report "Invalid integer". */
export function parseUnsigned(buf: Uint8Array, start: number, end: number, base: 8 | 10): bigint | null {
  let i = start;
  while (i < end && isSpace(buf[i])) i++;
  let negative = false;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) negative = buf[i++] === 0x2d;
  if (i >= end) return null;
  const maxDigit = 0x30 + base;
  // Fast path: up to 15 digits fit a double exactly.
  let small = 0;
  let j = i;
  for (; j < end && j - i < 15; j++) {
    const c = buf[j];
    if (c < 0x30 || c >= maxDigit) return null;
    small = small * base + (c - 0x30);
  }
  if (j === end && !negative && small === 0) return 0n;
  let value = BigInt(small);
  if (j < end) {
    const b = BigInt(base);
    for (; j < end; j++) {
      const c = buf[j];
      if (c < 0x30 || c >= maxDigit) return null;
      if (value <= U64_MAX) value = value * b + BigInt(c - 0x30);
    }
    if (value > U64_MAX) return U64_MAX;
  }
  return negative && value !== 0n ? (1n << 64n) - value : value;
}

/**
 * The same parse truncated to 32 bits (as assigning to a uint32_t does), without allocating for
 * short fields; -1 when invalid.
 */
export function parseU32(buf: Uint8Array, start: number, end: number, base: 8 | 10): number {
  const n = end - start;
  if (n > 0 && n <= 15) {
    let v = 0;
    let i = start;
    for (; i < end; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d >= base) break;
      v = v * base + d;
    }
    if (i === end) return v % 4294967296;
  }
  const big = parseUnsigned(buf, start, end, base);
  return big === null ? -1 : toU32(big);
}

/** Truncation to 32 bits, as assigning to a uint32_t does. */
export function toU32(v: bigint): number {
  return Number(v & 0xffffffffn);
}

/** Reinterpretation of a u64 as signed 64-bit (mtime seconds, composefs-image.md §3.3). */
export function toI64(v: bigint): bigint {
  return v < 0x8000000000000000n ? v : BigInt.asIntN(64, v);
}
