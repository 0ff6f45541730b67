/**
 * The working xattr lists of the writer (spec composefs-image.md §2.9 P2-P5): per inode a
 * contiguous range of records in one arena. A record is a key and a value; a value is a constant
 * prefix followed by bytes the tree already holds, so the values the writer makes cost no copy:
 * trusted.overlay.redirect is "/" + payload, trusted.overlay.metacopy the 4-byte header + the
 * digest (composefs-image.md §2.8.3).
 */
import { compareBytes, Xattr } from '../tree';
import { METACOPY_HEADER, METACOPY_HEADER_SIZE } from '../../contract/erofs';
import { xxh32 } from './xxhash';

/** Value prefixes: none, "/", the metacopy header. */
export const PRE_NONE: u8 = 0;
export const PRE_SLASH: u8 = 1;
export const PRE_METACOPY: u8 = 2;
const PRE_LEN: StaticArray<i32> = [0, 1, METACOPY_HEADER_SIZE];
/** The prefix bytes, little-endian. */
const PRE_BYTES: StaticArray<u32> = [0, 0x2f, METACOPY_HEADER];
/** Length of a value prefix. */
export function prefixLength(pre: u8): i32 {
  return unchecked(PRE_LEN[pre]);
}

/** How many of a value's last bytes `hashValue` hashes. */
const HASHED = 32;
/** Where a short prefixed value is put together to be hashed (at most HASHED bytes + a prefix). */
const scratch = new Uint8Array(64);

export class XattrLists {
  key: StaticArray<Uint8Array>;
  body: StaticArray<Uint8Array>;
  pre: StaticArray<u8>;
  /** Value length (prefix included). */
  length: StaticArray<i32>;
  /** Records in use (ranges moved to the end leave their old records unused). */
  used: i32 = 0;
  /** Per inode: its range [start, start + count). */
  start: StaticArray<i32>;
  count: StaticArray<i32>;

  constructor(inodes: i32, capacity: i32) {
    this.key = new StaticArray<Uint8Array>(capacity);
    this.body = new StaticArray<Uint8Array>(capacity);
    this.pre = new StaticArray<u8>(capacity);
    this.length = new StaticArray<i32>(capacity);
    this.start = new StaticArray<i32>(inodes);
    this.count = new StaticArray<i32>(inodes);
  }

  /** Starts the list of inode `id` at the arena end with `xs` (its node's xattrs). */
  open(id: i32, xs: Array<Xattr>): void {
    const n = xs.length;
    this.reserve(n);
    const s = this.used;
    for (let i = 0; i < n; i++) {
      const x = unchecked(xs[i]);
      this.set(s + i, x.key, x.value, PRE_NONE);
    }
    unchecked(this.start[id] = s);
    unchecked(this.count[id] = n);
    this.used = s + n;
  }

  /** Appends a record to the list of `id`, first moving the list to the arena end when another list follows it. */
  append(id: i32, key: Uint8Array, body: Uint8Array, pre: u8): void {
    let s = unchecked(this.start[id]);
    const n = unchecked(this.count[id]);
    if (s + n != this.used) {
      this.reserve(n + 1);
      const to = this.used;
      for (let i = 0; i < n; i++) this.move(s + i, to + i);
      s = to;
      unchecked(this.start[id] = s);
    } else {
      this.reserve(1);
    }
    this.set(s + n, key, body, pre);
    unchecked(this.count[id] = n + 1);
    this.used = s + n + 1;
  }

  /** Replaces record `r` of the list of `id`: the new record goes last, the rest keep their order. */
  replace(id: i32, r: i32, key: Uint8Array, body: Uint8Array, pre: u8): void {
    const last = unchecked(this.start[id]) + unchecked(this.count[id]) - 1;
    for (let i = r; i < last; i++) this.move(i + 1, i);
    this.set(last, key, body, pre);
  }

  // @ts-ignore: decorator
  @inline valueLength(r: i32): i32 {
    return unchecked(this.length[r]);
  }

  /** Writes the value of record `r` at `dst`. */
  writeValue(r: i32, dst: usize): void {
    const pre = unchecked(this.pre[r]);
    const plen = unchecked(PRE_LEN[pre]);
    const bytes = unchecked(PRE_BYTES[pre]);
    for (let i = 0; i < plen; i++) store<u8>(dst + i, <u8>(bytes >>> (<u32>i << 3)));
    const body = unchecked(this.body[r]);
    memory.copy(dst + plen, body.dataStart, body.length);
  }

  /** Value bytes of `a` and `b` in strcmp order (unsigned, shorter first on a common prefix). */
  compareValues(a: i32, b: i32): i32 {
    const pa = unchecked(PRE_LEN[unchecked(this.pre[a])]);
    const pb = unchecked(PRE_LEN[unchecked(this.pre[b])]);
    const ba = unchecked(this.body[a]);
    const bb = unchecked(this.body[b]);
    const la = pa + ba.length;
    const lb = pb + bb.length;
    const n = min(la, lb);
    // Byte by byte while either side is in its prefix, then the bodies at once.
    const k = min(max(pa, pb), n);
    for (let i = 0; i < k; i++) {
      const d = <i32>this.byteAt(a, i) - <i32>this.byteAt(b, i);
      if (d != 0) return d;
    }
    if (k < n) {
      const d = memory.compare(ba.dataStart + (k - pa), bb.dataStart + (k - pb), n - k);
      if (d != 0) return d;
    }
    return la - lb;
  }

  /**
   * A hash of the value bytes (equal values hash alike whatever their prefix): xxh32 of the last
   * HASHED bytes, with the length.
   */
  hashValue(r: i32): u32 {
    const body = unchecked(this.body[r]);
    const len = unchecked(this.length[r]);
    const n = min(len, HASHED);
    if (body.length >= n) return xxh32(body.dataStart + <usize>(body.length - n), n, <u32>len);
    // The prefix is among the bytes hashed: put the value together first.
    this.writeValue(r, scratch.dataStart);
    return xxh32(scratch.dataStart + <usize>(len - n), n, <u32>len);
  }

  /** The values of records `a` and `b` are the same bytes. */
  sameValue(a: i32, b: i32): bool {
    if (unchecked(this.length[a]) != unchecked(this.length[b])) return false;
    if (unchecked(this.body[a]) === unchecked(this.body[b]) && unchecked(this.pre[a]) == unchecked(this.pre[b])) return true;
    return this.compareValues(a, b) == 0;
  }

  /** Sorts the list of `id` by key (strcmp order of key bytes; stable). */
  sortByKey(id: i32): void {
    const s = unchecked(this.start[id]);
    const end = s + unchecked(this.count[id]);
    // Insertion sort: lists are short and usually sorted already.
    for (let i = s + 1; i < end; i++) {
      if (compareBytes(unchecked(this.key[i - 1]), unchecked(this.key[i])) <= 0) continue;
      const key = unchecked(this.key[i]);
      const body = unchecked(this.body[i]);
      const pre = unchecked(this.pre[i]);
      let j = i;
      for (; j > s && compareBytes(unchecked(this.key[j - 1]), key) > 0; j--) this.move(j - 1, j);
      this.set(j, key, body, pre);
    }
  }

  private byteAt(r: i32, i: i32): u32 {
    const plen = unchecked(PRE_LEN[unchecked(this.pre[r])]);
    if (i < plen) return (unchecked(PRE_BYTES[unchecked(this.pre[r])]) >>> (<u32>i << 3)) & 0xff;
    return <u32>load<u8>(unchecked(this.body[r]).dataStart + <usize>(i - plen));
  }

  private set(r: i32, key: Uint8Array, body: Uint8Array, pre: u8): void {
    unchecked(this.key[r] = key);
    unchecked(this.body[r] = body);
    unchecked(this.pre[r] = pre);
    unchecked(this.length[r] = prefixLength(pre) + body.length);
  }

  private move(from: i32, to: i32): void {
    unchecked(this.key[to] = this.key[from]);
    unchecked(this.body[to] = this.body[from]);
    unchecked(this.pre[to] = this.pre[from]);
    unchecked(this.length[to] = this.length[from]);
  }

  /** Room for `extra` more records (the survey's bound normally suffices). */
  private reserve(extra: i32): void {
    const capacity = this.key.length;
    if (this.used + extra <= capacity) return;
    const size = max(capacity * 2, this.used + extra);
    const key = new StaticArray<Uint8Array>(size);
    const body = new StaticArray<Uint8Array>(size);
    const pre = new StaticArray<u8>(size);
    const length = new StaticArray<i32>(size);
    for (let r = 0; r < this.used; r++) {
      unchecked(key[r] = this.key[r]);
      unchecked(body[r] = this.body[r]);
      unchecked(pre[r] = this.pre[r]);
      unchecked(length[r] = this.length[r]);
    }
    this.key = key;
    this.body = body;
    this.pre = pre;
    this.length = length;
  }
}
