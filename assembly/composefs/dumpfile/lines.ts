/**
 * Finding dumpfile lines and their fixed fields (spec composefs-image.md §3.1), 16 bytes at a time:
 * a line ends at "\n"; its first 11 fields end at single spaces (missing trailing fields are
 * empty) and the xattrs follow. A NUL anywhere in a line refuses it (composefs-image.md §3.5 step 1).
 */
import { fail, FAIL_DUMP } from '../error';

const NL: u32 = 0x0a;
const SPACE: u32 = 0x20;
const BACKSLASH: u32 = 0x5c;
export const FIELD_COUNT: i32 = 11;

/** Start/end pairs of the fixed fields of the current line, at a fixed address. */
const FIELDS: usize = memory.data(FIELD_COUNT * 8, 8);

// @ts-ignore: decorator
@inline export function fieldStart(k: i32): usize {
  return load<u32>(FIELDS + (<usize>k << 3));
}

// @ts-ignore: decorator
@inline export function fieldEnd(k: i32): usize {
  return load<u32>(FIELDS + (<usize>k << 3), 4);
}

// @ts-ignore: decorator
@inline function setField(k: i32, start: usize, end: usize): void {
  store<u32>(FIELDS + (<usize>k << 3), <u32>start);
  store<u32>(FIELDS + (<usize>k << 3), <u32>end, 4);
}
/** Where the xattrs of the current line start. */
export let xattrStart: usize = 0;
/** The current line has a backslash (an escape) somewhere. */
export let lineHasBackslash = false;

/** Position of the first "\n" in [from, end), or end; a NUL on the way refuses `line`. */
export function findNewline(from: usize, end: usize, line: i32): usize {
  let i = from;
  for (; i + 16 <= end; i += 16) {
    const v = v128.load(i);
    const m = i8x16.bitmask(v128.or(i8x16.eq(v, i8x16.splat(<i8>NL)), i8x16.eq(v, i8x16.splat(0))));
    if (m != 0) {
      i += ctz(m);
      break;
    }
  }
  for (; i < end; i++) {
    const c = <u32>load<u8>(i);
    if (c == NL) return i;
    if (c == 0) fail(FAIL_DUMP, line, '', ''); // Invalid embedded NUL character
  }
  return end;
}

/**
 * Finds the line starting at `s` (its "\n" before `end`, else returns end) and its fields in the
 * same pass; a NUL before the "\n" refuses `line`.
 */
export function scanLine(s: usize, end: usize, line: i32): usize {
  let k = 0;
  let p = s;
  let backslashes = 0;
  let i = s;
  for (; i + 16 <= end; i += 16) {
    const v = v128.load(i);
    const stops = i8x16.bitmask(v128.or(i8x16.eq(v, i8x16.splat(<i8>NL)), i8x16.eq(v, i8x16.splat(0))));
    let spaces = i8x16.bitmask(i8x16.eq(v, i8x16.splat(<i8>SPACE)));
    let escapes = i8x16.bitmask(i8x16.eq(v, i8x16.splat(<i8>BACKSLASH)));
    if (stops != 0) {
      // Only what is before the "\n" (or NUL) belongs to this line.
      const before = (1 << ctz(stops)) - 1;
      spaces &= before;
      escapes &= before;
    }
    backslashes |= escapes;
    while (spaces != 0 && k < FIELD_COUNT) {
      const q = i + ctz(spaces);
      setField(k, p, q);
      k++;
      p = q + 1;
      spaces &= spaces - 1;
    }
    if (stops != 0) {
      i += ctz(stops);
      break;
    }
  }
  for (; i < end; i++) {
    const c = <u32>load<u8>(i);
    if (c == NL) break;
    if (c == 0) fail(FAIL_DUMP, line, '', ''); // Invalid embedded NUL character
    if (c == BACKSLASH) backslashes = 1;
    else if (c == SPACE && k < FIELD_COUNT) {
      setField(k, p, i);
      k++;
      p = i + 1;
    }
  }
  if (i == end) return end;
  finishFields(k, p, i, backslashes != 0);
  return i;
}

/** Finds the fields of the whole line [s, e) (no "\n" or NUL in it). */
export function splitFields(s: usize, e: usize): void {
  let k = 0;
  let p = s;
  let backslashes = false;
  for (let i = s; i < e; i++) {
    const c = <u32>load<u8>(i);
    if (c == BACKSLASH) backslashes = true;
    else if (c == SPACE && k < FIELD_COUNT) {
      setField(k, p, i);
      k++;
      p = i + 1;
    }
  }
  finishFields(k, p, e, backslashes);
}

/** Fields k.. start at p and the line ends at e. */
function finishFields(k: i32, p: usize, e: usize, backslashes: bool): void {
  for (; k < FIELD_COUNT; k++) {
    setField(k, p, e);
    p = e;
  }
  xattrStart = p;
  lineHasBackslash = backslashes;
}
