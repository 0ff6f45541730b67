/**
 * Dumpfile field unescaping (spec composefs-image.md §3.2, C `unescape_string`):
 * `\\`, `\n`, `\r`, `\t` and `\xHH` (exactly two hex digits, either case); every other byte is literal.
 * Works on bytes; a field without a backslash is returned as a view (no copy).
 */

import { hexValue } from '../bytes.js';
import { dumpMessage } from '../../wasm/dump-error.js';
import {
  DUMP_INVALID_HEX_ESCAPE, DUMP_NO_CHARACTER_AFTER_ESCAPE, DUMP_NO_HEX_AFTER_ESCAPE, DUMP_UNSUPPORTED_ESCAPE,
} from '../../wasm/dump-reasons.js';

const BACKSLASH = 0x5c;

/** Thrown with the exact C message; the parser adds file, line and field. */
export class UnescapeError extends Error {
  /** `reason` is a DUMP_* code; `byte` the one after the backslash. */
  constructor(readonly reason: number, readonly byte = 0) {
    super(dumpMessage(reason, { a: byte }));
  }
}

export function unescape(buf: Uint8Array, start: number, end: number): Uint8Array {
  let first = start;
  while (first < end && buf[first] !== BACKSLASH) first++;
  if (first === end) return buf.subarray(start, end);
  const out = new Uint8Array(end - start);
  out.set(buf.subarray(start, first));
  let o = first - start;
  for (let i = first; i < end; i++) {
    const c = buf[i];
    if (c !== BACKSLASH) {
      out[o++] = c;
      continue;
    }
    if (++i >= end) throw new UnescapeError(DUMP_NO_CHARACTER_AFTER_ESCAPE);
    const e = buf[i];
    switch (e) {
      case BACKSLASH: out[o++] = BACKSLASH; break;
      case 0x6e: out[o++] = 0x0a; break; // \n
      case 0x72: out[o++] = 0x0d; break; // \r
      case 0x74: out[o++] = 0x09; break; // \t
      case 0x78: { // \xHH
        if (end - i - 1 < 2) throw new UnescapeError(DUMP_NO_HEX_AFTER_ESCAPE);
        const hi = hexValue(buf[i + 1]);
        const lo = hexValue(buf[i + 2]);
        if (hi < 0 || lo < 0) throw new UnescapeError(DUMP_INVALID_HEX_ESCAPE);
        out[o++] = (hi << 4) | lo;
        i += 2;
        break;
      }
      default:
        throw new UnescapeError(DUMP_UNSUPPORTED_ESCAPE, e);
    }
  }
  return out.subarray(0, o);
}

/** The value as a C string: an embedded NUL ends it (composefs-image.md conventions, "C string"). */
export function cString(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}
