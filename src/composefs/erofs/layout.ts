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
import type { WInode } from './inode.js';
import type { TreeOrder } from './order.js';
import { xxh32 } from './xxhash.js';

const enc = new TextEncoder();
const PREFIXES = WRITER_XATTR_PREFIXES.map((p) => ({ bytes: enc.encode(p.prefix), index: p.index }));
const U32_MAX = 0xffffffffn;
const U16_MAX = 0xffff;

const roundUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** An xattr as the writer stores it: name index, suffix, entry size, shared-table offset. */
export interface XattrInfo {
  index: number;
  suffix: Uint8Array;
  /** erofs_xattr_entry size with suffix and value, 4-aligned. */
  size: number;
  /** Bit of the inode's name filter (§2.5). */
  filterBit: number;
  /** Offset in the shared table when this inode refers to it there, else -1 (inline). */
  shared: number;
}

/** Per-key facts, cached by key identity: the writer's own keys are the same arrays everywhere. */
const keyCache = new WeakMap<Uint8Array, { index: number; suffix: Uint8Array; filterBit: number }>();

function keyInfo(key: Uint8Array): { index: number; suffix: Uint8Array; filterBit: number } {
  let k = keyCache.get(key);
  if (!k) {
    let index = XATTR_INDEX_NONE;
    let suffix = key;
    for (const p of PREFIXES) {
      if (startsWith(key, p.bytes)) {
        index = p.index;
        suffix = key.subarray(p.bytes.length);
        break;
      }
    }
    const filterBit = xxh32(suffix, XATTR_FILTER_SEED + index) & (XATTR_FILTER_BITS - 1);
    k = { index, suffix, filterBit };
    keyCache.set(key, k);
  }
  return k;
}

/** The facts of one xattr (§2.5 prefix table, entry size, filter bit). */
export function xattrInfo(x: Xattr): XattrInfo {
  const k = keyInfo(x.key);
  const size = roundUp(XATTR_ENTRY_SIZE + k.suffix.length + x.value.length, XATTR_ALIGN);
  return { index: k.index, suffix: k.suffix, size, filterBit: k.filterBit, shared: -1 };
}

export interface XattrInfoEntry {
  xattr: Xattr;
  info: XattrInfo;
}

export interface Layout extends TreeOrder {
  /** Shared xattr table entries in table order. */
  shared: XattrInfoEntry[];
  sharedSize: number;
  /** End of the inode table, 32-aligned: the shared xattr table starts here. */
  inodesEnd: number;
  dataBlockStart: number;
  /** Total image blocks (superblock `blocks`). */
  blocks: number;
}

interface PairCount {
  xattr: Xattr;
  count: number;
  offset: number;
}

/** Identity of an xattr key: by array identity first (cheap), else by its bytes. */
class KeyIds {
  private readonly byArray = new Map<Uint8Array, number>();
  private readonly byText = new Map<string, number>();
  id(key: Uint8Array): number {
    let id = this.byArray.get(key);
    if (id === undefined) {
      const text = nameKey(key);
      id = this.byText.get(text);
      if (id === undefined) {
        id = this.byText.size;
        this.byText.set(text, id);
      }
      this.byArray.set(key, id);
    }
    return id;
  }
}

/** P5: counts every (key, value) pair; pairs used by more than one inode are shared (§2.6). */
function sharedXattrs(inodes: WInode[]): { shared: XattrInfoEntry[]; sharedSize: number } {
  const keyIds = new KeyIds();
  // Per key id, buckets by value hash; values compared byte for byte within a bucket.
  const byKey: Map<number, PairCount[]>[] = [];
  const pairs: PairCount[] = [];
  for (const w of inodes) {
    for (const x of w.xattrs) {
      const id = keyIds.id(x.key);
      const buckets = (byKey[id] ??= new Map());
      const hash = xxh32(x.value, 0) & 0x3fffffff;
      let bucket = buckets.get(hash);
      if (!bucket) buckets.set(hash, (bucket = []));
      let e: PairCount | undefined;
      for (const b of bucket) {
        if (equalBytes(b.xattr.value, x.value)) {
          e = b;
          break;
        }
      }
      if (e) e.count++;
      else bucket.push((e = { xattr: x, count: 1, offset: -1 }));
      pairs.push(e);
    }
  }
  const entries: PairCount[] = [];
  for (const buckets of byKey) for (const bucket of buckets.values()) for (const e of bucket) if (e.count > 1) entries.push(e);
  // Descending: key (reverse strcmp), then longer value first, then value bytes descending.
  entries.sort((a, b) =>
    compareBytes(b.xattr.key, a.xattr.key) ||
    b.xattr.value.length - a.xattr.value.length ||
    compareBytes(b.xattr.value, a.xattr.value));
  let offset = 0;
  const shared: XattrInfoEntry[] = [];
  for (const e of entries) {
    e.offset = offset;
    const info = xattrInfo(e.xattr);
    shared.push({ xattr: e.xattr, info });
    offset += info.size;
  }
  let n = 0;
  for (const w of inodes) {
    if (w.xattrs.length === 0) continue;
    let refs = 0;
    w.xattrInfo = w.xattrs.map((x) => {
      const info = xattrInfo(x);
      const e = pairs[n++];
      if (e.offset >= 0 && refs < XATTR_MAX_SHARED_REFS) {
        info.shared = e.offset;
        refs++;
      }
      return info;
    });
  }
  return { shared, sharedSize: offset };
}

/** Inline xattr area size of an inode (§2.5): 0 without xattrs. */
function inlineXattrSize(w: WInode): number {
  if (!w.xattrInfo) return 0;
  let size = XATTR_IBODY_HEADER_SIZE;
  for (const info of w.xattrInfo) size += info.shared >= 0 ? 4 : info.size;
  return size;
}

/** Directory entry groups: full blocks, then an inline tail of at most 2048 bytes (§2.7). */
function splitDirectory(w: WInode): void {
  const dirents = w.dirents!;
  const starts: number[] = [];
  let size = 0;
  let first = 0;
  for (let i = 0; i < dirents.length; i++) {
    const len = DIRENT_SIZE + dirents[i].name.length;
    if (size + len > BLOCK_SIZE) {
      starts.push(first);
      first = i;
      size = 0;
    }
    size += len;
  }
  if (size > MAX_INLINE_TAIL) {
    starts.push(first);
    first = dirents.length;
    size = 0;
  }
  w.blockStarts = starts;
  w.tailStart = first;
  w.nblocks = starts.length;
  w.tail = size;
}

/** P6 step 1: initial (nblocks, tail) of an inode. */
function dataShape(w: WInode): void {
  if (isDir(w.mode)) {
    splitDirectory(w);
  } else if (isLnk(w.mode)) {
    w.nblocks = 0;
    w.tail = w.payload?.length ?? 0;
  } else if (isReg(w.mode) && w.size > 0n) {
    if (w.content) {
      const size = w.content.length;
      w.nblocks = Math.floor(size / BLOCK_SIZE);
      w.tail = size % BLOCK_SIZE;
      if (w.tail > MAX_INLINE_TAIL) {
        w.nblocks++;
        w.tail = 0;
      }
    } else {
      // chunkFormat and chunkCount were set in P2 (rewrite.ts).
      w.nblocks = 0;
      w.tail = w.chunkCount * CHUNK_INDEX_SIZE;
    }
  } else {
    w.nblocks = 0;
    w.tail = 0;
  }
}

/** lcfs_fits_in_erofs_compact (§2.4.4). */
function fitsCompact(w: WInode, order: TreeOrder): boolean {
  if (w.mtimeSec !== order.minMtimeSec || w.mtimeNsec !== order.minMtimeNsec) return false;
  if (w.nlink > U16_MAX || w.uid > U16_MAX || w.gid > U16_MAX) return false;
  return isDir(w.mode) ? w.nblocks * BLOCK_SIZE + w.tail <= 0xffffffff : w.size <= U32_MAX;
}

/** P6 step 4: padding before the inode so its tail does not straddle a block (§2.9 P6). */
function tailPadding(w: WInode, pos: number, hdr: number): number {
  if (isLnk(w.mode)) {
    const total = hdr + w.xattrSize + w.tail;
    if (total >= BLOCK_SIZE) {
      w.nblocks = 1;
      w.tail = 0;
    }
    return Math.floor(pos / BLOCK_SIZE) !== Math.floor((pos + total - 1) / BLOCK_SIZE) ? roundUp(pos, BLOCK_SIZE) - pos : 0;
  }
  const nonTail = pos + hdr + w.xattrSize;
  const remainder = BLOCK_SIZE - (nonTail % BLOCK_SIZE);
  if (remainder >= w.tail) return 0;
  const extra = roundUp(remainder, SLOT_SIZE);
  if (w.tail <= BLOCK_SIZE - ((nonTail + extra) % BLOCK_SIZE)) return extra;
  // The tail cannot fit: it goes to a block and the inode starts a block (reachable only by
  // chunk tables of 1018+ entries).
  w.nblocks++;
  w.tail = 0;
  if (w.blockStarts) {
    w.blockStarts.push(w.tailStart);
    w.tailStart = w.dirents!.length;
  }
  return roundUp(pos, BLOCK_SIZE) - pos;
}

export function computeLayout(order: TreeOrder): Layout {
  const { inodes } = order;
  const { shared, sharedSize } = sharedXattrs(inodes);
  let pos = INODE_TABLE_START;
  let dataBlocks = 0;
  for (const w of inodes) {
    dataShape(w);
    w.compact = fitsCompact(w, order);
    const hdr = w.compact ? INODE_COMPACT_SIZE : INODE_EXTENDED_SIZE;
    w.xattrSize = inlineXattrSize(w);
    pos = roundUp(pos, SLOT_SIZE);
    pos += tailPadding(w, pos, hdr);
    w.nid = pos / SLOT_SIZE;
    pos += hdr + w.xattrSize + w.tail;
    dataBlocks += w.nblocks;
  }
  const inodesEnd = roundUp(pos, SLOT_SIZE);
  const dataBlockStart = roundUp(inodesEnd + sharedSize, BLOCK_SIZE);
  // P7.3: block addresses in BFS order.
  let next = dataBlockStart / BLOCK_SIZE;
  for (const w of inodes) {
    if (w.nblocks > 0) {
      w.blkaddr = next;
      next += w.nblocks;
    }
  }
  return { ...order, shared, sharedSize, inodesEnd, dataBlockStart, blocks: dataBlockStart / BLOCK_SIZE + dataBlocks };
}
