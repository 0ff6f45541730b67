/** Byte-string helpers shared by the dumpfile parser and the EROFS writer (names and keys are bytes, Appendix A). */

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/** Value of one hex digit (either case), -1 for anything else. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Small byte strings kept for the life of a tree (names, payloads, writer-made xattr values),
 * carved from shared 64 KiB chunks: one backing store per chunk instead of one per string, and
 * nothing keeps a larger buffer (a whole dumpfile chunk) alive.
 */
export class ByteSlab {
  private chunk = new Uint8Array(0);
  private used = 0;

  alloc(n: number): Uint8Array {
    if (this.used + n > this.chunk.length) {
      this.chunk = new Uint8Array(Math.max(1 << 16, n));
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }

  /** A copy of src[start, end). */
  copy(src: Uint8Array, start = 0, end = src.length): Uint8Array {
    const n = end - start;
    const out = this.alloc(n);
    if (n <= 64) for (let i = 0; i < n; i++) out[i] = src[start + i];
    else out.set(src.subarray(start, end));
    return out;
  }
}
