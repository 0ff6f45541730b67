/**
 * Integer fields of a dumpfile with C `strtoull` rules (spec composefs-image.md §3.5 step 7), on
 * bytes in linear memory: optional leading whitespace, an optional `+`/`-` (minus negates modulo
 * 2^64), digits up to the end of the field, at least one digit; overflow saturates to 2^64 - 1.
 * A port of src/composefs/dumpfile/integer.ts.
 */

/** The value of the last successful `parseUnsigned` (AssemblyScript has no multiple returns). */
export let parsedValue: u64 = 0;

/** Up to this many decimal or octal digits cannot overflow 64 bits. */
const MAX_SAFE_DIGITS: usize = 19;
/** Above this, one more decimal or octal digit may overflow 64 bits. */
const SAFE_ACCUMULATOR: u64 = 0x0fff_ffff_ffff_ffff;

// @ts-ignore: decorator
@inline function isSpace(c: u32): bool {
  return c == 0x20 || c - 0x09 <= 4;
}

/** Parses [start, end) in base 8 or 10 into `parsedValue`; false when C would report "Invalid integer". */
// @ts-ignore: decorator
@inline export function parseUnsigned(start: usize, end: usize, base: u32): bool {
  // Fast path: only digits, too few to overflow.
  if (end - start - 1 < MAX_SAFE_DIGITS) {
    let v: u64 = 0;
    let j = start;
    for (; j < end; j++) {
      const d = <u32>load<u8>(j) - 0x30;
      if (d >= base) break;
      v = v * base + d;
    }
    if (j == end) {
      parsedValue = v;
      return true;
    }
  }
  return parseStrtoull(start, end, base);
}

/** parseUnsigned in full: whitespace, sign, overflow. */
function parseStrtoull(start: usize, end: usize, base: u32): bool {
  let i = start;
  while (i < end && isSpace(<u32>load<u8>(i))) i++;
  let negative = false;
  if (i < end) {
    const c = load<u8>(i);
    if (c == 0x2b || c == 0x2d) {
      negative = c == 0x2d;
      i++;
    }
  }
  if (i >= end) return false;
  let v: u64 = 0;
  let overflow = false;
  for (; i < end; i++) {
    const d = <u32>load<u8>(i) - 0x30;
    if (d >= base) return false;
    if (v <= SAFE_ACCUMULATOR) v = v * base + d;
    else if (!overflow) {
      if (v > (U64.MAX_VALUE - d) / base) overflow = true;
      else v = v * base + d;
    }
  }
  parsedValue = overflow ? U64.MAX_VALUE : negative ? 0 - v : v;
  return true;
}
