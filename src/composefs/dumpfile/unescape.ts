/**
 * Dumpfile field unescaping (spec composefs-image.md §3.2, C `unescape_string`):
 * `\\`, `\n`, `\r`, `\t` and `\xHH` (exactly two hex digits, either case); every other byte is literal.
 * Works on bytes; a field without a backslash is returned as a view (no copy).
 */

import { hexValue } from '../bytes.js';

const BACKSLASH = 0x5c;

/** Thrown with the exact C message; the parser adds file, line and field. */
export class UnescapeError extends Error {}

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
    if (++i >= end) throw new UnescapeError('No character after escape');
    const e = buf[i];
    switch (e) {
      case BACKSLASH: out[o++] = BACKSLASH; break;
      case 0x6e: out[o++] = 0x0a; break; // \n
      case 0x72: out[o++] = 0x0d; break; // \r
      case 0x74: out[o++] = 0x09; break; // \t
      case 0x78: { // \xHH
        if (end - i - 1 < 2) throw new UnescapeError('No hex characters after hex escape');
        const hi = hexValue(buf[i + 1]);
        const lo = hexValue(buf[i + 2]);
        if (hi < 0 || lo < 0) throw new UnescapeError('Invalid hex characters after hex escape');
        out[o++] = (hi << 4) | lo;
        i += 2;
        break;
      }
      default:
        throw new UnescapeError(`Unsupported escape type ${String.fromCharCode(e)}`);
    }
  }
  return out.subarray(0, o);
}

/** The value as a C string: an embedded NUL ends it (composefs-image.md conventions, "C string"). */
export function cString(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}
