/**
 * The line tokenizer of dumpfile text (spec composefs-image.md §3.1), for the parser and for
 * `--overrides` alike: the 11 fixed fields end at single spaces (missing trailing fields are empty,
 * at the line's end), then KEY=VALUE xattrs up to the next space each. Fields are unescaped with
 * unescape.ts.
 */
import { FIXED_FIELDS } from '../../wasm/dump-reasons.js';

export const SPACE = 0x20;
export const EQUALS = 0x3d;

/**
 * Finds the fixed fields of the line buf[start, end) (no newline) and stores their start/end
 * pairs in `fs` (2 × 11 entries); returns where the xattrs start (`end` when there are none).
 */
export function splitFields(buf: Uint8Array, start: number, end: number, fs: Int32Array): number {
  let p = start;
  for (let k = 0; k < FIXED_FIELDS; k++) {
    let q = p < end ? buf.indexOf(SPACE, p) : end;
    if (q < 0 || q > end) q = end;
    fs[2 * k] = p;
    fs[2 * k + 1] = q;
    p = q < end ? q + 1 : end;
  }
  return p;
}

/** Fixed field `k` is in the line (not cut off by its end) for fields split by `splitFields` up to `end`. */
export function hasField(fs: Int32Array, k: number, end: number): boolean {
  return k === 0 || fs[2 * k - 1] < end;
}

/** The first `byte` in buf[from, end), or `end`: an xattr ends at SPACE, its key at EQUALS. */
export function findIn(buf: Uint8Array, byte: number, from: number, end: number): number {
  let i = from;
  while (i < end && buf[i] !== byte) i++;
  return i;
}
