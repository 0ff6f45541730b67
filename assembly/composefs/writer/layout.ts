/**
 * Writer passes P5 (shared xattr table, spec composefs-image.md §2.6) and P6 (inode layout,
 * composefs-image.md §2.9 P6): every offset of the image is fixed here, before a byte is written (data blocks
 * follow in BFS order, P7.3, counted as they are written).
 */
import { compareBytes, equalBytes, isDir, isLnk, isReg } from '../tree';
import { startsWith, utf8 } from './bytes';
import {
  BLOCK_SIZE,
  CHUNK_INDEX_SIZE,
  DIRENT_SIZE,
  INODE_COMPACT_SIZE,
  INODE_EXTENDED_SIZE,
  INODE_TABLE_START,
  MAX_INLINE_TAIL,
  SLOT_SIZE,
  WRITER_XATTR_INDEXES,
  XATTR_ALIGN,
  XATTR_ENTRY_SIZE,
  XATTR_FILTER_BITS,
  XATTR_FILTER_SEED,
  XATTR_IBODY_HEADER_SIZE,
  XATTR_INDEX_NONE,
  XATTR_MAX_SHARED_REFS,
  XATTR_PREFIXES,
} from '../../contract/erofs';
import { COMPACT, Inodes } from './inode';
import { XattrLists } from './xattrs';
import { TreeOrder } from './order';
import { xxh32Bytes } from './xxhash';

const PREFIX_COUNT = WRITER_XATTR_INDEXES.length;
const PREFIXES = new StaticArray<Uint8Array>(PREFIX_COUNT);
for (let i = 0; i < PREFIX_COUNT; i++) PREFIXES[i] = utf8(XATTR_PREFIXES[WRITER_XATTR_INDEXES[i]]);
const U16_MAX: u32 = 0xffff;
const U32_MAX: u64 = 0xffffffff;

// @ts-ignore: decorator
@inline function roundUp(x: i32, a: i32): i32 {
  return (x + a - 1) / a * a;
}

/** erofs_xattr_entry size with suffix and value, 4-aligned (composefs-image.md §2.5). */
// @ts-ignore: decorator
@inline export function xattrEntrySize(suffixLength: i32, valueLength: i32): i32 {
  return (XATTR_ENTRY_SIZE + suffixLength + valueLength + XATTR_ALIGN - 1) & ~(XATTR_ALIGN - 1);
}

/** Chained hashing: entry ids in order of first appearance; the caller compares. */
class HashChains {
  private heads: StaticArray<i32>;
  private mask: u32;
  hash: StaticArray<u32>;
  private next: StaticArray<i32>;
  size: i32 = 0;

  /** `capacity` entries before the columns grow; about as many slots, at most `maxSlots`. */
  constructor(capacity: i32, maxSlots: i32) {
    let slots = 64;
    while (slots < capacity && slots < maxSlots) slots <<= 1;
    this.heads = new StaticArray<i32>(slots).fill(-1);
    this.mask = <u32>slots - 1;
    this.hash = new StaticArray<u32>(capacity);
    this.next = new StaticArray<i32>(capacity);
  }

  // @ts-ignore: decorator
  @inline first(h: u32): i32 {
    return unchecked(this.heads[h & this.mask]);
  }

  // @ts-ignore: decorator
  @inline after(e: i32): i32 {
    return unchecked(this.next[e]);
  }

  /** A new entry of hash h; returns its id. */
  push(h: u32): i32 {
    const e = this.size++;
    if (e == this.hash.length) {
      this.hash = grown<u32>(this.hash);
      this.next = grown<i32>(this.next);
    }
    unchecked(this.hash[e] = h);
    unchecked(this.next[e] = this.heads[h & this.mask]);
    unchecked(this.heads[h & this.mask] = e);
    return e;
  }
}

/** A column twice as long with the same first entries. */
function grown<T>(a: StaticArray<T>): StaticArray<T> {
  const b = new StaticArray<T>(a.length * 2);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length << alignof<T>());
  return b;
}

/** Key ids by key bytes, with a small cache by key array (most keys are a few shared arrays). */
class KeyIds {
  private chains: HashChains;
  private cacheKey: StaticArray<usize> = new StaticArray<usize>(256);
  private cacheId: StaticArray<i32> = new StaticArray<i32>(256);
  key: Array<Uint8Array> = [];

  constructor() {
    this.chains = new HashChains(16, 1024);
  }

  /** The id of `key`; a new key gets the next id. */
  id(key: Uint8Array): i32 {
    const ptr = changetype<usize>(key);
    const slot = <i32>((ptr >> 4) & 255);
    if (unchecked(this.cacheKey[slot]) == ptr) return unchecked(this.cacheId[slot]);
    const c = this.chains;
    const h = xxh32Bytes(key, 0);
    let e = c.first(h);
    while (e >= 0 && !(unchecked(c.hash[e]) == h && equalBytes(unchecked(this.key[e]), key))) e = c.after(e);
    if (e < 0) {
      e = c.push(h);
      this.key.push(key);
    }
    unchecked(this.cacheKey[slot] = ptr);
    unchecked(this.cacheId[slot] = e);
    return e;
  }
}

/**
 * How the xattrs are written (composefs-image.md §2.5, §2.6). Keys get ids (per distinct key bytes); an
 * "occurrence" is one record of an inode's final xattr list (xattrs.ts), numbered by record.
 */
export class XattrTable {
  /** Per key id: name index (composefs-image.md §2.5 prefix table), the key's suffix after the prefix, filter bit. */
  keyIndex: Array<u8> = [];
  keySuffix: Array<Uint8Array> = [];
  keyFilterBit: Array<u8> = [];
  /** Per record: key id, and the shared-table offset when referenced there, else -1 (inline). */
  occKey: StaticArray<i32>;
  occShared: StaticArray<i32>;
  /** Shared table entries in table order: their records and key ids. */
  shared: Array<i32> = [];
  sharedKeys: Array<i32> = [];
  sharedSize: i32 = 0;

  constructor(records: i32) {
    this.occKey = new StaticArray<i32>(records);
    this.occShared = new StaticArray<i32>(records);
  }

  /** Prefix index, suffix and name-filter bit of a new key (composefs-image.md §2.5). */
  addKeyFacts(key: Uint8Array): void {
    let index = XATTR_INDEX_NONE;
    let suffix = key;
    for (let i = 0; i < PREFIX_COUNT; i++) {
      const p = unchecked(PREFIXES[i]);
      if (startsWith(key, p)) {
        index = unchecked(WRITER_XATTR_INDEXES[i]);
        suffix = key.subarray(p.length);
        break;
      }
    }
    this.keyIndex.push(index);
    this.keySuffix.push(suffix);
    this.keyFilterBit.push(<u8>(xxh32Bytes(suffix, XATTR_FILTER_SEED + <u32>index) & (XATTR_FILTER_BITS - 1)));
  }
}

/** What `comparePairs` compares (comparators cannot capture). */
let sortLists: XattrLists | null = null;
let sortFirst: StaticArray<i32> = new StaticArray<i32>(0);

/** Descending: key (reverse strcmp), then longer value first, then value bytes descending. */
function comparePairs(a: i32, b: i32): i32 {
  const x = sortLists!;
  const ra = unchecked(sortFirst[a]);
  const rb = unchecked(sortFirst[b]);
  let c = compareBytes(unchecked(x.key[rb]), unchecked(x.key[ra]));
  if (c == 0) c = x.valueLength(rb) - x.valueLength(ra);
  if (c == 0) c = x.compareValues(rb, ra);
  return c;
}

/** P5: counts every (key, value) pair; pairs used by more than one inode are shared (composefs-image.md §2.6). */
function sharedXattrs(t: Inodes, bfs: StaticArray<i32>): XattrTable {
  const x = t.xattrs;
  const n = bfs.length;
  const records = x.used;
  const table = new XattrTable(records);
  const keys = new KeyIds();
  // Pairs: per pair its key id, first record and use count (2 means "more than one").
  const pairs = new HashChains(records, 1 << 20);
  const pairKey = new StaticArray<i32>(records);
  const pairFirst = new StaticArray<i32>(records);
  const pairUses = new StaticArray<u8>(records);
  // occShared holds the record's pair id until the offsets are known.
  const occPair = table.occShared;
  for (let i = 0; i < n; i++) {
    const id = unchecked(bfs[i]);
    for (let r = unchecked(x.start[id]), end = r + unchecked(x.count[id]); r < end; r++) {
      const keyId = keys.id(unchecked(x.key[r]));
      if (keyId == table.keySuffix.length) table.addKeyFacts(unchecked(x.key[r]));
      const h = x.hashValue(r) ^ (<u32>keyId * 0x9e3779b1);
      let e = pairs.first(h);
      while (e >= 0) {
        if (unchecked(pairs.hash[e]) == h && unchecked(pairKey[e]) == keyId && x.sameValue(unchecked(pairFirst[e]), r)) break;
        e = pairs.after(e);
      }
      if (e >= 0) {
        unchecked(pairUses[e] = 2);
      } else {
        e = pairs.push(h);
        unchecked(pairKey[e] = keyId);
        unchecked(pairFirst[e] = r);
        unchecked(pairUses[e] = 1);
      }
      unchecked(table.occKey[r] = keyId);
      unchecked(occPair[r] = e);
    }
  }
  const entries: Array<i32> = [];
  for (let e = 0; e < pairs.size; e++) if (unchecked(pairUses[e]) > 1) entries.push(e);
  sortLists = x;
  sortFirst = pairFirst;
  entries.sort(comparePairs);
  // pairKey becomes the pair's shared-table offset (-1: not shared).
  const pairOffset = pairKey;
  for (let e = 0; e < pairs.size; e++) unchecked(pairOffset[e] = -1);
  let offset = 0;
  for (let i = 0, k = entries.length; i < k; i++) {
    const e = unchecked(entries[i]);
    const r = unchecked(pairFirst[e]);
    const keyId = unchecked(table.occKey[r]);
    unchecked(pairOffset[e] = offset);
    table.shared.push(r);
    table.sharedKeys.push(keyId);
    offset += xattrEntrySize(table.keySuffix[keyId].length, x.valueLength(r));
  }
  table.sharedSize = offset;
  for (let i = 0; i < n; i++) {
    const id = unchecked(bfs[i]);
    let refs = 0;
    for (let r = unchecked(x.start[id]), end = r + unchecked(x.count[id]); r < end; r++) {
      const off = unchecked(pairOffset[unchecked(occPair[r])]);
      if (off >= 0 && refs < XATTR_MAX_SHARED_REFS) {
        unchecked(table.occShared[r] = off);
        refs++;
      } else {
        unchecked(table.occShared[r] = -1);
      }
    }
  }
  return table;
}

/** Inline xattr area size of an inode (composefs-image.md §2.5): 0 without xattrs. */
export function inlineXattrSize(t: Inodes, table: XattrTable, id: i32): i32 {
  const x = t.xattrs;
  const count = unchecked(x.count[id]);
  if (count == 0) return 0;
  let size = XATTR_IBODY_HEADER_SIZE;
  for (let r = unchecked(x.start[id]), end = r + count; r < end; r++) {
    size += unchecked(table.occShared[r]) >= 0
      ? 4
      : xattrEntrySize(table.keySuffix[unchecked(table.occKey[r])].length, x.valueLength(r));
  }
  return size;
}

/** Per inode id: where each part of the inode goes (P6). Data blocks follow in BFS order (P7.3). */
export class InodeLayout {
  nblocks: StaticArray<i32>;
  tail: StaticArray<i32>;
  nid: StaticArray<i32>;
  /** Directories: first dirent of the inline tail group; blockStarts: first dirent of each full block (null: none). */
  tailStart: StaticArray<i32>;
  blockStarts: StaticArray<Array<i32> | null>;

  constructor(n: i32) {
    this.nblocks = new StaticArray<i32>(n);
    this.tail = new StaticArray<i32>(n);
    this.nid = new StaticArray<i32>(n);
    this.tailStart = new StaticArray<i32>(n);
    this.blockStarts = new StaticArray<Array<i32> | null>(n);
  }

  /** Moves the inline tail group of directory `id` to a full block of its own. */
  tailToBlock(id: i32, end: i32): void {
    let starts = this.blockStarts[id];
    if (!starts) {
      starts = [];
      this.blockStarts[id] = starts;
    }
    starts.push(this.tailStart[id]);
    this.tailStart[id] = end;
  }
}

/** Directory entry groups: full blocks, then an inline tail of at most 2048 bytes (composefs-image.md §2.7). */
function splitDirectory(t: Inodes, L: InodeLayout, id: i32): void {
  const lengths = t.direntNameLength;
  const end = t.direntEnd[id];
  let size = 0;
  let first = t.direntStart[id];
  L.tailStart[id] = first;
  for (let d = first; d < end; d++) {
    const len = DIRENT_SIZE + unchecked(lengths[d]);
    if (size + len > BLOCK_SIZE) {
      L.tailToBlock(id, d);
      size = 0;
    }
    size += len;
  }
  if (size > MAX_INLINE_TAIL) {
    L.tailToBlock(id, end);
    size = 0;
  }
  const starts = L.blockStarts[id];
  L.nblocks[id] = starts ? starts.length : 0;
  L.tail[id] = size;
}

/** P6 step 1: initial (nblocks, tail) of an inode. */
function dataShape(t: Inodes, L: InodeLayout, id: i32): void {
  const mode = t.mode[id];
  if (isDir(mode)) {
    splitDirectory(t, L, id);
  } else if (isLnk(mode)) {
    L.tail[id] = unchecked(t.dataLength[id]);
  } else if (isReg(mode) && unchecked(t.size[id]) > 0) {
    if (!t.isExternal(id)) {
      const size = unchecked(t.dataLength[id]);
      L.nblocks[id] = size / BLOCK_SIZE;
      L.tail[id] = size % BLOCK_SIZE;
      if (L.tail[id] > MAX_INLINE_TAIL) {
        L.nblocks[id]++;
        L.tail[id] = 0;
      }
    } else {
      // chunkCount was set in P2 (rewrite.ts).
      L.tail[id] = <i32>t.chunkCount[id] * CHUNK_INDEX_SIZE;
    }
  }
}

/** lcfs_fits_in_erofs_compact (composefs-image.md §2.4.4). */
function fitsCompact(t: Inodes, L: InodeLayout, id: i32, order: TreeOrder): bool {
  if (unchecked(t.mtimeSec[id]) != order.minMtimeSec || unchecked(t.mtimeNsec[id]) != order.minMtimeNsec) return false;
  if (unchecked(t.nlink[id]) > U16_MAX || unchecked(t.uid[id]) > U16_MAX || unchecked(t.gid[id]) > U16_MAX) return false;
  return isDir(t.mode[id])
    ? <u64>L.nblocks[id] * <u64>BLOCK_SIZE + <u64>L.tail[id] <= U32_MAX
    : unchecked(t.size[id]) <= U32_MAX;
}

/** P6 step 4: padding before the inode so its tail does not straddle a block (composefs-image.md §2.9 P6). */
function tailPadding(t: Inodes, L: InodeLayout, id: i32, pos: i32, hdr: i32, xattrSize: i32): i32 {
  const tail = L.tail[id];
  if (isLnk(t.mode[id])) {
    const total = hdr + xattrSize + tail;
    if (total >= BLOCK_SIZE) {
      L.nblocks[id] = 1;
      L.tail[id] = 0;
    }
    return pos / BLOCK_SIZE != (pos + total - 1) / BLOCK_SIZE ? roundUp(pos, BLOCK_SIZE) - pos : 0;
  }
  const nonTail = pos + hdr + xattrSize;
  const remainder = BLOCK_SIZE - (nonTail % BLOCK_SIZE);
  if (remainder >= tail) return 0;
  const extra = roundUp(remainder, SLOT_SIZE);
  if (tail <= BLOCK_SIZE - ((nonTail + extra) % BLOCK_SIZE)) return extra;
  // The tail cannot fit: it goes to a block and the inode starts a block (reachable only by
  // chunk tables of 1018+ entries).
  L.nblocks[id]++;
  L.tail[id] = 0;
  if (isDir(t.mode[id])) L.tailToBlock(id, t.direntEnd[id]);
  return roundUp(pos, BLOCK_SIZE) - pos;
}

export class Layout {
  constructor(
    public order: TreeOrder,
    public xattrs: XattrTable,
    public inodeLayout: InodeLayout,
    /** End of the inode table, 32-aligned: the shared xattr table starts here. */
    public inodesEnd: i32,
    public dataBlockStart: i32,
    /** Total image blocks (superblock `blocks`). */
    public blocks: i32,
  ) {}
}

export function computeLayout(order: TreeOrder): Layout {
  const t = order.inodes;
  const bfs = order.bfs;
  const n = bfs.length;
  const xattrs = sharedXattrs(t, bfs);
  const L = new InodeLayout(t.count);
  let pos = INODE_TABLE_START;
  let dataBlocks = 0;
  for (let i = 0; i < n; i++) {
    const id = unchecked(bfs[i]);
    dataShape(t, L, id);
    const compact = fitsCompact(t, L, id, order);
    if (compact) unchecked(t.flags[id] |= COMPACT);
    const hdr = compact ? INODE_COMPACT_SIZE : INODE_EXTENDED_SIZE;
    const xattrSize = inlineXattrSize(t, xattrs, id);
    pos = roundUp(pos, SLOT_SIZE);
    pos += tailPadding(t, L, id, pos, hdr, xattrSize);
    L.nid[id] = pos / SLOT_SIZE;
    pos += hdr + xattrSize + L.tail[id];
    dataBlocks += L.nblocks[id];
  }
  const inodesEnd = roundUp(pos, SLOT_SIZE);
  const dataBlockStart = roundUp(inodesEnd + xattrs.sharedSize, BLOCK_SIZE);
  return new Layout(order, xattrs, L, inodesEnd, dataBlockStart, dataBlockStart / BLOCK_SIZE + dataBlocks);
}
