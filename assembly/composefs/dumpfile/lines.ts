/**
 * Finding dumpfile lines and their fixed fields (spec composefs-image.md §3.1), 16 bytes at a time:
 * a line ends at "\n"; its first 11 fields end at single spaces (missing trailing fields are
 * empty) and the xattrs follow. A NUL anywhere in a line refuses it (composefs-image.md §3.5 step 1) once the
 * line's "\n" is found: in strict mode a last line without one is refused for that instead.
 */
import { DUMP_EMBEDDED_NUL, F_NONE, FIXED_FIELDS } from '../../contract/dump-reasons';
import { failDump } from '../error';

const NL: u32 = 0x0a;
const SPACE: u32 = 0x20;
const BACKSLASH: u32 = 0x5c;
const FIELD_COUNT: i32 = FIXED_FIELDS;

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
/** The first NUL of the unfinished line, from its start; -1 when it has none. */
export let carriedNul: i32 = -1;

/** Refuses `line` for its first NUL, at `position` from its start. */
export function refuseNul(line: i32, position: i32): void {
  failDump(line, DUMP_EMBEDDED_NUL, F_NONE, <u64>position, 0, 0, 0);
}

/** A NUL at `nul` in the line starting at `s`: refused if its "\n" is in [nul, end), else the line is unfinished (returns end). */
function lineWithNul(s: usize, nul: usize, end: usize, line: i32): usize {
  for (let i = nul + 1; i < end; i++) if (<u32>load<u8>(i) == NL) refuseNul(line, <i32>(nul - s));
  carriedNul = <i32>(nul - s);
  return end;
}

/** Position of the first "\n" in [from, end) of the unfinished line starting at `s`, or end. */
export function findNewline(s: usize, from: usize, end: usize, line: i32): usize {
  let i = from;
  if (carriedNul >= 0) {
    for (; i < end; i++) if (<u32>load<u8>(i) == NL) refuseNul(line, carriedNul);
    return end;
  }
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
    if (c == 0) return lineWithNul(s, i, end, line);
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
    if (c == 0) return lineWithNul(s, i, end, line);
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
