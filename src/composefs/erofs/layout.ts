/**
 * Writer passes P5 (shared xattr table, spec composefs-image.md §2.6) and P6 (inode layout,
 * §2.9 P6), then the data block addresses of P7.3: every offset of the image is fixed here,
 * before a byte is written.
 */
import { equalBytes, startsWith } from '../bytes.js';
import { compareBytes, isDir, isLnk, isReg, nameKey, type Xattr } from '../tree.js';
import {
  BLOCK_SIZE,
  CHUNK_INDEX_SIZE,
  DIRENT_SIZE,
  INODE_COMPACT_SIZE,
  INODE_EXTENDED_SIZE,
  INODE_TABLE_START,
  MAX_INLINE_TAIL,
  SLOT_SIZE,
  WRITER_XATTR_PREFIXES,
  XATTR_ALIGN,
  XATTR_ENTRY_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  XATTR_FILTER_BITS,
  XATTR_FILTER_SEED,
  XATTR_INDEX_NONE,
  XATTR_MAX_SHARED_REFS,
} from './format.js';
import type { Inodes } from './inode.js';
import type { TreeOrder } from './order.js';
import { xxh32 } from './xxhash.js';

const enc = new TextEncoder();
const PREFIXES = WRITER_XATTR_PREFIXES.map((p) => ({ bytes: enc.encode(p.prefix), index: p.index }));
const U32_MAX = 0xffffffffn;
const U16_MAX = 0xffff;

const roundUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/**
 * How the xattrs are written (§2.5, §2.6), in flat arrays. Keys get ids (per distinct key bytes);
 * an "occurrence" is one xattr of one inode, numbered over inodes in BFS order and each inode's
 * xattrs in key order.
 */
export interface XattrTable {
  /** Per inode id: its first occurrence. */
  xattrBase: Int32Array;
  /** Per key id: name index (§2.5 prefix table), the key's suffix after the prefix, filter bit. */
  keyIndex: Uint8Array;
  keySuffix: Uint8Array[];
  keyFilterBit: Uint8Array;
  /** Per occurrence: key id, and the shared-table offset when referenced there, else -1 (inline). */
  occKey: Int32Array;
  occShared: Int32Array;
  /** Shared table entries in table order, with their key ids. */
  shared: Xattr[];
  sharedKeys: Int32Array;
  sharedSize: number;
}

/** erofs_xattr_entry size with suffix and value, 4-aligned (§2.5). */
export const xattrEntrySize = (suffixLength: number, valueLength: number): number =>
  (XATTR_ENTRY_SIZE + suffixLength + valueLength + XATTR_ALIGN - 1) & ~(XATTR_ALIGN - 1);

export interface Layout extends TreeOrder {
  xattrs: XattrTable;
  inodeLayout: InodeLayout;
  /** End of the inode table, 32-aligned: the shared xattr table starts here. */
  inodesEnd: number;
  dataBlockStart: number;
  /** Total image blocks (superblock `blocks`). */
  blocks: number;
}

/** Ids of distinct xattr keys: by array identity first (keys are mostly shared arrays), else by bytes. */
class KeyIds {
  private readonly byArray = new Map<Uint8Array, number>();
  private readonly byText = new Map<string, number>();
  readonly index: number[] = [];
  readonly suffix: Uint8Array[] = [];
  readonly filterBit: number[] = [];

  id(key: Uint8Array): number {
    let id = this.byArray.get(key);
    if (id === undefined) {
      const text = nameKey(key);
      id = this.byText.get(text);
      if (id === undefined) {
        id = this.byText.size;
        this.byText.set(text, id);
        this.facts(key);
      }
      this.byArray.set(key, id);
    }
    return id;
  }

  /** Prefix index, suffix and name-filter bit of a new key (§2.5). */
  private facts(key: Uint8Array): void {
    let index = XATTR_INDEX_NONE;
    let suffix = key;
    for (const p of PREFIXES) {
      if (startsWith(key, p.bytes)) {
        index = p.index;
        suffix = key.subarray(p.bytes.length);
        break;
      }
    }
    this.index.push(index);
    this.suffix.push(suffix);
    this.filterBit.push(xxh32(suffix, XATTR_FILTER_SEED + index) & (XATTR_FILTER_BITS - 1));
  }
}

/**
 * Distinct (key, value) pairs with use counts: an open hash table over (key id, value hash) in
 * typed arrays, values compared byte for byte on a hash match.
 */
class PairCounts {
  first: Xattr[] = [];
  key = new Int32Array(1024);
  hash = new Int32Array(1024);
  count = new Int32Array(1024);
  next = new Int32Array(1024);
  private heads = new Int32Array(2048).fill(-1);
  size = 0;

  /** The pair id of x (key id `keyId`), counting one more use. */
  add(keyId: number, x: Xattr): number {
    const value = x.value;
    const h = (xxh32(value, 0) ^ Math.imul(keyId, 0x9e3779b1)) | 0;
    const slot = h & (this.heads.length - 1);
    for (let e = this.heads[slot]; e >= 0; e = this.next[e]) {
      if (this.hash[e] === h && this.key[e] === keyId && equalBytes(this.first[e].value, value)) {
        this.count[e]++;
        return e;
      }
    }
    const e = this.size++;
    if (e === this.key.length) this.grow();
    this.first.push(x);
    this.key[e] = keyId;
    this.hash[e] = h;
    this.count[e] = 1;
    this.next[e] = this.heads[slot];
    this.heads[slot] = e;
    if (this.size > this.heads.length) this.rehash();
    return e;
  }

  private grow(): void {
    const n = this.key.length * 2;
    const more = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.key = more(this.key);
    this.hash = more(this.hash);
    this.count = more(this.count);
    this.next = more(this.next);
  }

  private rehash(): void {
    this.heads = new Int32Array(this.heads.length * 4).fill(-1);
    const mask = this.heads.length - 1;
    for (let e = 0; e < this.size; e++) {
      const slot = this.hash[e] & mask;
      this.next[e] = this.heads[slot];
      this.heads[slot] = e;
    }
  }
}

/** P5: counts every (key, value) pair; pairs used by more than one inode are shared (§2.6). */
function sharedXattrs(t: Inodes, bfs: Int32Array): XattrTable {
  const keys = new KeyIds();
  const pairs = new PairCounts();
  const xattrBase = new Int32Array(t.count);
  let total = 0;
  for (let i = 0; i < bfs.length; i++) {
    const id = bfs[i];
    xattrBase[id] = total;
    total += t.xattrs[id].length;
  }
  const occKey = new Int32Array(total);
  const occPair = new Int32Array(total);
  let n = 0;
  for (let i = 0; i < bfs.length; i++) {
    const xs = t.xattrs[bfs[i]];
    for (let j = 0; j < xs.length; j++) {
      const x = xs[j];
      const id = keys.id(x.key);
      occKey[n] = id;
      occPair[n++] = pairs.add(id, x);
    }
  }
  const entries: number[] = [];
  for (let e = 0; e < pairs.size; e++) if (pairs.count[e] > 1) entries.push(e);
  // Descending: key (reverse strcmp), then longer value first, then value bytes descending.
  const first = pairs.first;
  entries.sort((a, b) => {
    const x = first[a], y = first[b];
    return compareBytes(y.key, x.key) || y.value.length - x.value.length || compareBytes(y.value, x.value);
  });
  const pairOffset = new Int32Array(pairs.size).fill(-1);
  const shared: Xattr[] = [];
  const sharedKeys = new Int32Array(entries.length);
  let offset = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    pairOffset[e] = offset;
    shared.push(first[e]);
    sharedKeys[i] = pairs.key[e];
    offset += xattrEntrySize(keys.suffix[pairs.key[e]].length, first[e].value.length);
  }
  const occShared = new Int32Array(total);
  for (let i = 0; i < bfs.length; i++) {
    const id = bfs[i];
    let refs = 0;
    const end = xattrBase[id] + t.xattrs[id].length;
    for (let o = xattrBase[id]; o < end; o++) {
      const off = pairOffset[occPair[o]];
      if (off >= 0 && refs < XATTR_MAX_SHARED_REFS) {
        occShared[o] = off;
        refs++;
      } else {
        occShared[o] = -1;
      }
    }
  }
  return {
    xattrBase,
    keyIndex: Uint8Array.from(keys.index),
    keySuffix: keys.suffix,
    keyFilterBit: Uint8Array.from(keys.filterBit),
    occKey,
    occShared,
    shared,
    sharedKeys,
    sharedSize: offset,
  };
}

/** Inline xattr area size of an inode (§2.5): 0 without xattrs. */
function inlineXattrSize(id: number, t: Inodes, x: XattrTable): number {
  const xs = t.xattrs[id];
  if (xs.length === 0) return 0;
  let size = XATTR_IBODY_HEADER_SIZE;
  for (let i = 0, o = x.xattrBase[id]; i < xs.length; i++, o++) {
    size += x.occShared[o] >= 0 ? 4 : xattrEntrySize(x.keySuffix[x.occKey[o]].length, xs[i].value.length);
  }
  return size;
}

/** Per inode id: where each part of the inode goes (P6) and its data blocks (P7.3). */
export class InodeLayout {
  readonly nblocks: Int32Array;
  readonly tail: Int32Array;
  readonly xattrSize: Int32Array;
  readonly nid: Int32Array;
  readonly compact: Uint8Array;
  /** Block address of the first data block (i_u), 0 when none. */
  readonly blkaddr: Int32Array;
  /** Directories: first dirent of the inline tail group; blockStarts: first dirent of each full block (null: none). */
  readonly tailStart: Int32Array;
  readonly blockStarts: (number[] | null)[];

  constructor(n: number) {
    this.nblocks = new Int32Array(n);
    this.tail = new Int32Array(n);
    this.xattrSize = new Int32Array(n);
    this.nid = new Int32Array(n);
    this.compact = new Uint8Array(n);
    this.blkaddr = new Int32Array(n);
    this.tailStart = new Int32Array(n);
    this.blockStarts = new Array<number[] | null>(n).fill(null);
  }
}

/** Directory entry groups: full blocks, then an inline tail of at most 2048 bytes (§2.7). */
function splitDirectory(t: Inodes, L: InodeLayout, id: number): void {
  const names = t.direntName;
  const end = t.direntEnd[id];
  let starts: number[] | null = null;
  let size = 0;
  let first = t.direntStart[id];
  for (let d = first; d < end; d++) {
    const len = DIRENT_SIZE + names[d].length;
    if (size + len > BLOCK_SIZE) {
      (starts ??= []).push(first);
      first = d;
      size = 0;
    }
    size += len;
  }
  if (size > MAX_INLINE_TAIL) {
    (starts ??= []).push(first);
    first = end;
    size = 0;
  }
  L.blockStarts[id] = starts;
  L.tailStart[id] = first;
  L.nblocks[id] = starts ? starts.length : 0;
  L.tail[id] = size;
}

/** P6 step 1: initial (nblocks, tail) of an inode. */
function dataShape(t: Inodes, L: InodeLayout, id: number): void {
  const mode = t.mode[id];
  if (isDir(mode)) {
    splitDirectory(t, L, id);
  } else if (isLnk(mode)) {
    L.tail[id] = t.payload(id)?.length ?? 0;
  } else if (isReg(mode) && t.size(id) > 0n) {
    const content = t.content(id);
    if (content) {
      const size = content.length;
      L.nblocks[id] = Math.floor(size / BLOCK_SIZE);
      L.tail[id] = size % BLOCK_SIZE;
      if (L.tail[id] > MAX_INLINE_TAIL) {
        L.nblocks[id]++;
        L.tail[id] = 0;
      }
    } else {
      // chunkCount was set in P2 (rewrite.ts).
      L.tail[id] = t.chunkCount[id] * CHUNK_INDEX_SIZE;
    }
  }
}

/** lcfs_fits_in_erofs_compact (§2.4.4). */
function fitsCompact(t: Inodes, L: InodeLayout, id: number, order: TreeOrder): boolean {
  if (t.mtimeSec(id) !== order.minMtimeSec || t.mtimeNsec(id) !== order.minMtimeNsec) return false;
  if (t.nlink[id] > U16_MAX || t.uid(id) > U16_MAX || t.gid(id) > U16_MAX) return false;
  return isDir(t.mode[id]) ? L.nblocks[id] * BLOCK_SIZE + L.tail[id] <= 0xffffffff : t.size(id) <= U32_MAX;
}

/** P6 step 4: padding before the inode so its tail does not straddle a block (§2.9 P6). */
function tailPadding(t: Inodes, L: InodeLayout, id: number, pos: number, hdr: number): number {
  const tail = L.tail[id];
  if (isLnk(t.mode[id])) {
    const total = hdr + L.xattrSize[id] + tail;
    if (total >= BLOCK_SIZE) {
      L.nblocks[id] = 1;
      L.tail[id] = 0;
    }
    return Math.floor(pos / BLOCK_SIZE) !== Math.floor((pos + total - 1) / BLOCK_SIZE) ? roundUp(pos, BLOCK_SIZE) - pos : 0;
  }
  const nonTail = pos + hdr + L.xattrSize[id];
  const remainder = BLOCK_SIZE - (nonTail % BLOCK_SIZE);
  if (remainder >= tail) return 0;
  const extra = roundUp(remainder, SLOT_SIZE);
  if (tail <= BLOCK_SIZE - ((nonTail + extra) % BLOCK_SIZE)) return extra;
  // The tail cannot fit: it goes to a block and the inode starts a block (reachable only by
  // chunk tables of 1018+ entries).
  L.nblocks[id]++;
  L.tail[id] = 0;
  if (isDir(t.mode[id])) {
    (L.blockStarts[id] ??= []).push(L.tailStart[id]);
    L.tailStart[id] = t.direntEnd[id];
  }
  return roundUp(pos, BLOCK_SIZE) - pos;
}

export function computeLayout(order: TreeOrder): Layout {
  const { inodes: t, bfs } = order;
  const xattrs = sharedXattrs(t, bfs);
  const L = new InodeLayout(t.count);
  let pos = INODE_TABLE_START;
  let dataBlocks = 0;
  for (let i = 0; i < bfs.length; i++) {
    const id = bfs[i];
    dataShape(t, L, id);
    const compact = fitsCompact(t, L, id, order);
    L.compact[id] = compact ? 1 : 0;
    const hdr = compact ? INODE_COMPACT_SIZE : INODE_EXTENDED_SIZE;
    L.xattrSize[id] = inlineXattrSize(id, t, xattrs);
    pos = roundUp(pos, SLOT_SIZE);
    pos += tailPadding(t, L, id, pos, hdr);
    L.nid[id] = pos / SLOT_SIZE;
    pos += hdr + L.xattrSize[id] + L.tail[id];
    dataBlocks += L.nblocks[id];
  }
  const inodesEnd = roundUp(pos, SLOT_SIZE);
  const dataBlockStart = roundUp(inodesEnd + xattrs.sharedSize, BLOCK_SIZE);
  // P7.3: block addresses in BFS order.
  let next = dataBlockStart / BLOCK_SIZE;
  for (let i = 0; i < bfs.length; i++) {
    const id = bfs[i];
    if (L.nblocks[id] > 0) {
      L.blkaddr[id] = next;
      next += L.nblocks[id];
    }
  }
  return { ...order, xattrs, inodeLayout: L, inodesEnd, dataBlockStart, blocks: dataBlockStart / BLOCK_SIZE + dataBlocks };
}
