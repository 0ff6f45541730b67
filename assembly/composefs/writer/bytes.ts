/** Byte-string helpers of the writer (names and keys are bytes, composefs-image.md Appendix A). */
import { equalMemory } from '../tree';

export function startsWith(b: Uint8Array, prefix: Uint8Array): bool {
  const n = prefix.length;
  return b.length >= n && equalMemory(b.dataStart, prefix.dataStart, n);
}

/** The UTF-8 bytes of a string constant. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** `a` followed by `b`, in a new array. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  memory.copy(out.dataStart, a.dataStart, a.length);
  memory.copy(out.dataStart + a.length, b.dataStart, b.length);
  return out;
}

/**
 * Bytes as text the way JS's TextDecoder reads them (WHATWG UTF-8 decode: each maximal invalid
 * subpart becomes U+FFFD), for error messages that name paths and keys.
 */
export function decodeText(b: Uint8Array): string {
  const n = b.length;
  const src = b.dataStart;
  const out = new Uint8Array(n * 3);
  const dst = out.dataStart;
  let o = 0;
  let i = 0;
  while (i < n) {
    const c = <u32>load<u8>(src + i);
    let need = 0;
    let lower: u32 = 0x80;
    let upper: u32 = 0xbf;
    if (c < 0x80) need = 0;
    else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lower = 0xa0;
      if (c == 0xed) upper = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lower = 0x90;
      if (c == 0xf4) upper = 0x8f;
    } else need = -1;
    let len = 1;
    let ok = need >= 0;
    for (let k = 0; ok && k < need; k++) {
      if (i + len >= n) { ok = false; break; }
      const d = <u32>load<u8>(src + i + len);
      if (d < lower || d > upper) { ok = false; break; }
      lower = 0x80;
      upper = 0xbf;
      len++;
    }
    if (ok) {
      memory.copy(dst + o, src + i, len);
      o += len;
    } else {
      // U+FFFD for the maximal subpart read so far; the offending byte starts over.
      store<u8>(dst + o, 0xef);
      store<u8>(dst + o + 1, 0xbf);
      store<u8>(dst + o + 2, 0xbd);
      o += 3;
    }
    i += len;
  }
  return String.UTF8.decodeUnsafe(dst, o);
}
