/**
 * Dumpfile field unescaping (spec composefs-image.md §3.2, C `unescape_string`) on bytes in linear
 * memory: `\\`, `\n`, `\r`, `\t` and `\xHH` (exactly two hex digits, either case); every other
 * byte is literal. A port of src/composefs/dumpfile/unescape.ts.
 */

import {
  DUMP_INVALID_HEX_ESCAPE, DUMP_NO_CHARACTER_AFTER_ESCAPE, DUMP_NO_HEX_AFTER_ESCAPE, DUMP_UNSUPPORTED_ESCAPE,
} from '../../contract/dump-reasons';

const BACKSLASH: u32 = 0x5c;

/** Why the last `unescapeTo` refused (a DUMP_* code), and the byte after the backslash. */
export let escapeRefusal: i32 = 0;
export let escapeByte: u32 = 0;

function refuse(reason: i32): i32 {
  escapeRefusal = reason;
  return -1;
}

/** Value of one hex digit (either case), -1 for anything else. */
function hexValue(c: u32): i32 {
  if (c - 0x30 <= 9) return <i32>(c - 0x30);
  const l = c | 0x20;
  if (l - 0x61 <= 5) return <i32>(l - 0x57);
  return -1;
}

/** Position of the first backslash in [start, end), or end. */
export function findBackslash(start: usize, end: usize): usize {
  let i = start;
  while (i < end && <u32>load<u8>(i) != BACKSLASH) i++;
  return i;
}

/** Unescapes [start, end) to `out` (room for end - start bytes); the output length, or -1 when C refuses the escape (`escapeRefusal`). */
export function unescapeTo(start: usize, end: usize, out: usize): i32 {
  let o = out;
  for (let i = start; i < end; i++) {
    const c = <u32>load<u8>(i);
    if (c != BACKSLASH) {
      store<u8>(o++, <u8>c);
      continue;
    }
    if (++i >= end) return refuse(DUMP_NO_CHARACTER_AFTER_ESCAPE);
    const e = <u32>load<u8>(i);
    escapeByte = e;
    let b: u32;
    if (e == BACKSLASH) b = BACKSLASH;
    else if (e == 0x6e) b = 0x0a; // \n
    else if (e == 0x72) b = 0x0d; // \r
    else if (e == 0x74) b = 0x09; // \t
    else if (e == 0x78) { // \xHH
      if (end - i - 1 < 2) return refuse(DUMP_NO_HEX_AFTER_ESCAPE);
      const hi = hexValue(<u32>load<u8>(i + 1));
      const lo = hexValue(<u32>load<u8>(i + 2));
      if (hi < 0 || lo < 0) return refuse(DUMP_INVALID_HEX_ESCAPE);
      b = <u32>((hi << 4) | lo);
      i += 2;
    } else return refuse(DUMP_UNSUPPORTED_ESCAPE);
    store<u8>(o++, <u8>b);
  }
  return <i32>(o - out);
}

/** Length of the C string at [ptr, ptr + len): up to the first NUL. */
export function cStringLength(ptr: usize, len: i32): i32 {
  for (let i = 0; i < len; i++) if (load<u8>(ptr + i) == 0) return i;
  return len;
}
