/**
 * Byte strings the tree keeps (names, payloads, contents, xattr keys and values), copied out of
 * the transient input into shared 64 KiB chunks: one view object per string, no per-string buffer.
 */

const CHUNK_SIZE: i32 = 1 << 16;

export class ByteSlab {
  private chunk: ArrayBuffer = new ArrayBuffer(0);
  private used: i32 = 0;

  /** `len` bytes to fill in. */
  // @ts-ignore: decorator
  @inline alloc(len: i32): Uint8Array {
    if (this.used + len > this.chunk.byteLength) {
      this.chunk = new ArrayBuffer(len > CHUNK_SIZE ? len : CHUNK_SIZE);
      this.used = 0;
    }
    const out = Uint8Array.wrap(this.chunk, this.used, len);
    this.used += len;
    return out;
  }

  /** A copy of the `len` bytes at `ptr`. */
  copy(ptr: usize, len: i32): Uint8Array {
    const out = this.alloc(len);
    memory.copy(out.dataStart, ptr, len);
    return out;
  }
}
