/**
 * Walks a composefs image straight from its bytes, in the order libcomposefs loads it
 * (depth-first, entries in on-disk order), without building a tree: each entry's inode is
 * decoded into the scanner's fields (numbers and byte offsets into the image, no per-entry
 * objects) and handed to a visitor. The checks, the byte budget and the errors are those of
 * reader.ts's TreeLoader, in the same order, so an image fails here exactly as it fails there.
 *
 * The visitors print composefs-info's views, which list children in name order. On-disk order is
 * that order in every image a writer sorts (all of them: EROFS lookups need it), so the scan
 * requires it: a directory whose entries are not strictly increasing throws `Unsorted`, and the
 * caller falls back to the tree (readImage), which sorts and reports duplicates.
 */
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, isValidType, nameKey } from '../../tree/tree.js';
import { ImageBytes } from './bounds.js';
import { XattrNames, keptXattrName, readDirBlock, readXattrs, redirectEnd, redirectStart } from './decode.js';
import { type ImageHeader, imageHeader } from './header.js';
import {
  BLOCK_SIZE,
  I_DATALAYOUT_MASK,
  I_DATALAYOUT_SHIFT,
  I_VERSION_EXTENDED,
  IC,
  IE,
  INLINE_CONTENT_MAX,
  INODE_COMPACT_SIZE,
  INODE_EXTENDED_SIZE,
  LAYOUT_CHUNK_BASED,
  LAYOUT_FLAT_INLINE,
  LAYOUT_FLAT_PLAIN,
  METACOPY_SIZE,
  OVERLAY_XATTR_ESCAPED_WHITEOUT,
  OVERLAY_XATTR_METACOPY,
  OVERLAY_XATTR_REDIRECT,
  PATH_MAX,
  SB,
  SLOT_SIZE,
  SUPERBLOCK_OFFSET,
  XATTR_IBODY_HEADER_SIZE,
} from '../../formats/erofs.js';

/** A directory's entries are not in strictly increasing name order: use the tree instead. */
export class Unsorted extends Error {}

export interface ScanVisitor {
  /**
   * One entry (the root first, with an empty path). The scanner's inode fields describe the
   * entry, or for a hardlink alias (`scan.alias`) the inode it shares; `scan.path` holds the
   * entry's path in its first `scan.pathLength` bytes.
   */
  entry(scan: ImageScan): void;
}

const SLASH = 0x2f;
/** Up to this many xattrs on an inode, a repeated name is found by a scan rather than a Map. */
const SCANNED_XATTRS = 16;
/** Per dirent in the entry stack: nid, name start, name end, dirent offset. */
const ENTRY_FIELDS = 4;
/** A slot's state in `seen`: a whiteout; any positive value is 1 + the record of its first entry. */
const WHITEOUT = -1;

export class ImageScan {
  private readonly img: ImageBytes;
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly header: ImageHeader;
  private readonly metaStart: number;
  private readonly slots: number;
  private readonly xattrStart: number;
  private budget: number;
  private readonly filter: Set<string> | null;
  /** The superblock's build time, the mtime of compact inodes, as mtimeHi and mtimeLo. */
  private readonly buildTimeHi: number;
  private readonly buildTimeLo: number;

  /** Per slot: 0 unseen, WHITEOUT, or 1 + the record of the entry that carries the inode. */
  private readonly seen: Int32Array;
  /** Per record (an entry that carries its inode): its parent's record and its name's span. */
  private recParent = new Int32Array(1024);
  private recName = new Float64Array(2048);
  private records = 0;
  /** Dirents of the directories being walked, ENTRY_FIELDS numbers each. */
  private entries = new Float64Array(4096);
  private entryCount = 0;

  /** The current entry's path (pathLength bytes), "" for the root. */
  path = new Uint8Array(4096);
  pathLength = 0;
  /** Whether the entry is a hardlink alias; its inode fields are those of the target. */
  alias = false;
  /** Of an alias: the record of the entry carrying the inode (see targetPath). */
  private aliasRecord = -1;

  // The inode, as C's loader leaves it (escaped whiteouts already turned into char devices).
  mode = 0;
  nlink = 0;
  uid = 0;
  gid = 0;
  rdev = 0;
  /** st_size as two u32 halves. */
  sizeLo = 0;
  sizeHi = 0;
  /** Signed 64-bit mtime seconds as a signed high and an unsigned low half. */
  mtimeHi = 0;
  mtimeLo = 0;
  mtimeNsec = 0;
  /** Symlink target or backing path: image offset and length, or -1. */
  payloadAt = -1;
  payloadLength = 0;
  /** Inline content: `contentBlocks` bytes at contentAt, then `contentTail` bytes at tailAt; -1 for none. */
  contentAt = -1;
  contentBlocks = 0;
  contentTail = 0;
  tailAt = 0;
  /** The metacopy digest's offset (32 bytes), or -1. */
  digestAt = -1;
  /** The xattrs C keeps, in order: key bytes (shared per name) and the value's offset and length. */
  xattrCount = 0;
  readonly xattrKeys: Uint8Array[] = [];
  readonly xattrAt: number[] = [];
  readonly xattrLength: number[] = [];

  private layout = 0;
  private headerSize = 0;
  private xattrSize = 0;
  private inodeAt = 0;
  private u = 0;
  private kept: Map<Uint8Array, number> | null = null;
  private readonly names: XattrNames;

  constructor(bytes: Uint8Array, opts: { file?: string; filter?: Uint8Array[] } = {}) {
    this.img = new ImageBytes(bytes, opts.file);
    this.bytes = this.img.bytes;
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.header = imageHeader(this.img);
    this.metaStart = this.header.metaBlkaddr * BLOCK_SIZE;
    this.slots = Math.floor((this.img.length - this.metaStart) / SLOT_SIZE);
    this.seen = new Int32Array(this.slots);
    this.xattrStart = this.header.xattrBlkaddr * BLOCK_SIZE;
    this.budget = this.img.length;
    this.filter = opts.filter ? new Set(opts.filter.map(nameKey)) : null;
    this.names = new XattrNames(this.img);
    const t = this.header.buildTimeSec;
    this.buildTimeLo = Number(BigInt.asUintN(32, t));
    this.buildTimeHi = Number(BigInt.asIntN(32, t >> 32n));
  }

  /** The path of the entry an alias shares its inode with: "/a/b", "" for the root. */
  targetPath(): Uint8Array {
    const parts: number[] = [];
    let len = 0;
    for (let r = this.aliasRecord; r > 0; r = this.recParent[r]) {
      parts.push(r);
      len += 1 + this.recName[2 * r + 1] - this.recName[2 * r];
    }
    const out = new Uint8Array(len);
    let off = 0;
    for (let i = parts.length - 1; i >= 0; i--) {
      const r = parts[i];
      out[off++] = SLASH;
      const start = this.recName[2 * r];
      const end = this.recName[2 * r + 1];
      out.set(this.bytes.subarray(start, end), off);
      off += end - start;
    }
    return out;
  }

  /** Visits every entry; throws Unsorted for a directory out of name order, CfsError for a bad image. */
  run(visitor: ScanVisitor): void {
    const img = this.img;
    const rootOffset = SUPERBLOCK_OFFSET + SB.rootNid;
    const rootNid = this.header.rootNid;
    if (rootNid >= this.slots) img.fail('nid lies outside the image', rootOffset, 'nid');
    this.inode(rootNid);
    const whiteout = (this.mode & S_IFMT) === S_IFCHR && this.u === 0;
    if (!whiteout) this.body(true);
    if (whiteout || (this.mode & S_IFMT) !== S_IFDIR) img.fail('root inode is not a directory', rootOffset, 'superblock.root_nid');
    this.seen[rootNid] = 1 + this.record(-1, 0, 0);
    this.pathLength = 0;
    this.alias = false;
    visitor.entry(this);
    // Depth-first, entries in on-disk order, iteratively. Per directory: its record, its first
    // entry, its next entry, its end, its path length.
    const stack: number[] = [0, 0, 0, this.entryCount, 0];
    while (stack.length > 0) {
      const top = stack.length - 5;
      const next = stack[top + 2];
      if (next >= stack[top + 3]) {
        this.entryCount = stack[top + 1];
        stack.length = top;
        continue;
      }
      stack[top + 2] = next + ENTRY_FIELDS;
      const e = this.entries;
      const nid = e[next];
      const nameStart = e[next + 1];
      const nameEnd = e[next + 2];
      const parent = stack[top];
      if (this.filter && parent === 0 && !this.filter.has(img.latin1(nameStart, nameEnd - nameStart))) continue;
      if (nid >= this.slots) img.fail('nid lies outside the image', e[next + 3], 'nid');
      const state = this.seen[nid];
      if (state === WHITEOUT) continue;
      this.setPath(stack[top + 4], nameStart, nameEnd);
      if (state > 0) {
        // Hardlink alias: carries the inode of the entry met first.
        this.alias = true;
        this.aliasRecord = state - 1;
        this.inode(nid);
        this.body(false);
        visitor.entry(this);
        continue;
      }
      this.inode(nid);
      if ((this.mode & S_IFMT) === S_IFCHR && this.u === 0) {
        this.seen[nid] = WHITEOUT; // C drops whiteouts (char device 0/0)
        continue;
      }
      const first = this.entryCount;
      this.body(true);
      const record = this.record(parent, nameStart, nameEnd);
      this.seen[nid] = 1 + record;
      this.alias = false;
      visitor.entry(this);
      if (this.entryCount > first) stack.push(record, first, first, this.entryCount, this.pathLength);
    }
  }

  private record(parent: number, nameStart: number, nameEnd: number): number {
    const r = this.records++;
    if (r === this.recParent.length) {
      const parents = new Int32Array(r * 2);
      parents.set(this.recParent);
      this.recParent = parents;
      const names = new Float64Array(r * 4);
      names.set(this.recName);
      this.recName = names;
    }
    this.recParent[r] = parent;
    this.recName[2 * r] = nameStart;
    this.recName[2 * r + 1] = nameEnd;
    return r;
  }

  private setPath(parentLength: number, nameStart: number, nameEnd: number): void {
    const length = parentLength + 1 + nameEnd - nameStart;
    if (length > this.path.length) {
      const grown = new Uint8Array(Math.max(length, this.path.length * 2));
      grown.set(this.path.subarray(0, parentLength));
      this.path = grown;
    }
    const path = this.path;
    const bytes = this.bytes;
    path[parentLength] = SLASH;
    for (let i = nameStart, o = parentLength + 1; i < nameEnd; i++, o++) path[o] = bytes[i];
    this.pathLength = length;
  }

  private spend(bytes: number, offset: number, field: string): void {
    this.budget -= bytes;
    if (this.budget < 0) {
      this.img.fail('image references more data than it holds (overlapping inodes or blocks)', offset, field);
    }
  }

  /** Decodes the inode header of a nid below `slots` (composefs-image.md §2.4). */
  private inode(nid: number): void {
    const img = this.img;
    const view = this.view;
    const offset = this.metaStart + nid * SLOT_SIZE; // a whole slot inside the image
    const format = view.getUint16(offset + IC.format, true);
    const extended = (format & I_VERSION_EXTENDED) !== 0;
    const headerSize = extended ? INODE_EXTENDED_SIZE : INODE_COMPACT_SIZE;
    img.check(offset, headerSize, 'inode');
    const mode = view.getUint16(offset + IC.mode, true);
    if (!isValidType(mode)) img.fail(`invalid file type in mode ${mode.toString(8)}`, offset + IC.mode, 'inode.i_mode');
    const icount = view.getUint16(offset + IC.xattrIcount, true);
    const xattrSize = icount === 0 ? 0 : XATTR_IBODY_HEADER_SIZE + (icount - 1) * 4;
    img.check(offset + headerSize, xattrSize, 'inode.xattrs');
    this.inodeAt = offset;
    this.headerSize = headerSize;
    this.xattrSize = xattrSize;
    this.layout = (format >> I_DATALAYOUT_SHIFT) & I_DATALAYOUT_MASK;
    this.mode = mode;
    if (extended) {
      this.nlink = view.getUint32(offset + IE.nlink, true);
      this.sizeLo = view.getUint32(offset + IE.size, true);
      this.sizeHi = view.getUint32(offset + IE.size + 4, true);
      this.u = view.getUint32(offset + IE.u, true);
      this.uid = view.getUint32(offset + IE.uid, true);
      this.gid = view.getUint32(offset + IE.gid, true);
      this.mtimeLo = view.getUint32(offset + IE.mtime, true);
      this.mtimeHi = view.getInt32(offset + IE.mtime + 4, true);
      this.mtimeNsec = view.getUint32(offset + IE.mtimeNsec, true);
    } else {
      // A compact inode has no mtime: the superblock's build time stands in (composefs-image.md §2.4.1).
      this.nlink = view.getUint16(offset + IC.nlink, true);
      this.sizeLo = view.getUint32(offset + IC.size, true);
      this.sizeHi = 0;
      this.u = view.getUint32(offset + IC.u, true);
      this.uid = view.getUint16(offset + IC.uid, true);
      this.gid = view.getUint16(offset + IC.gid, true);
      this.mtimeLo = this.buildTimeLo;
      this.mtimeHi = this.buildTimeHi;
      this.mtimeNsec = this.header.buildTimeNsec;
    }
    const type = mode & S_IFMT;
    this.rdev = type === S_IFCHR || type === S_IFBLK ? this.u : 0;
  }

  /**
   * The inode's data and xattrs, with the budget spent (`first`: the entry carrying the inode)
   * or not (an alias: decoded before). A directory's entries join the entry stack.
   */
  private body(first: boolean): void {
    if (first) this.spend(this.headerSize + this.xattrSize, this.inodeAt, 'inode');
    this.payloadAt = -1;
    this.payloadLength = 0;
    this.contentAt = -1;
    this.digestAt = -1;
    const type = this.mode & S_IFMT;
    if (type === S_IFDIR) {
      if (first) this.dirEntries();
    } else if (type === S_IFLNK) {
      this.symlinkTarget(first);
    } else if (type === S_IFREG && (this.sizeLo !== 0 || this.sizeHi !== 0)) {
      this.content(first);
    }
    this.xattrs();
  }

  /** Where inline data starts: right after the inode header and its xattr area (composefs-image.md §2.4.5). */
  private tailOffset(): number {
    return this.inodeAt + this.headerSize + this.xattrSize;
  }

  /** A directory's entries: its full blocks at i_u, then the inline tail (composefs-image.md §2.7, §2.12). */
  private dirEntries(): void {
    const img = this.img;
    if (this.layout !== LAYOUT_FLAT_PLAIN && this.layout !== LAYOUT_FLAT_INLINE) {
      img.fail(`unsupported directory data layout ${this.layout}`, this.inodeAt, 'inode.i_format');
    }
    if (this.sizeHi !== 0 || this.sizeLo > img.length) {
      img.fail(`directory size ${this.sizeBig()} exceeds the image`, this.inodeAt + IC.size, 'inode.i_size');
    }
    const size = this.sizeLo;
    this.spend(size, this.inodeAt, 'directory');
    const tail = this.layout === LAYOUT_FLAT_INLINE ? size % BLOCK_SIZE : 0;
    const fullBlocks = Math.ceil((size - tail) / BLOCK_SIZE);
    const first = this.entryCount;
    for (let b = 0; b < fullBlocks; b++) {
      const blockSize = Math.min(BLOCK_SIZE, size - b * BLOCK_SIZE);
      this.dirBlock((this.u + b) * BLOCK_SIZE, blockSize);
    }
    if (tail > 0) this.dirBlock(this.tailOffset(), tail);
    const e = this.entries;
    const bytes = this.bytes;
    for (let i = first + ENTRY_FIELDS; i < this.entryCount; i += ENTRY_FIELDS) {
      if (!namesIncrease(bytes, e[i - ENTRY_FIELDS + 1], e[i - ENTRY_FIELDS + 2], e[i + 1], e[i + 2])) throw new Unsorted();
    }
  }

  /** One directory block or tail (decode.ts readDirBlock). */
  private dirBlock(offset: number, size: number): void {
    readDirBlock(this.img, offset, size, this.pushEntry);
  }

  private readonly pushEntry = (nid: number, nameStart: number, nameEnd: number, at: number): void => {
    let e = this.entries;
    const i = this.entryCount;
    if (i + ENTRY_FIELDS > e.length) {
      e = new Float64Array(e.length * 2);
      e.set(this.entries);
      this.entries = e;
    }
    e[i] = nid;
    e[i + 1] = nameStart;
    e[i + 2] = nameEnd;
    e[i + 3] = at;
    this.entryCount = i + ENTRY_FIELDS;
  };

  /** Symlink target: the inline tail or the block at i_u, cut at NUL (composefs-image.md §2.8.4, §2.12). */
  private symlinkTarget(first: boolean): void {
    const img = this.img;
    if (this.sizeHi !== 0 || this.sizeLo >= PATH_MAX) {
      img.fail(`symlink target of ${this.sizeBig()} bytes is too long`, this.inodeAt + IC.size, 'inode.i_size');
    }
    const len = this.sizeLo;
    const at =
      this.layout === LAYOUT_FLAT_INLINE ? this.tailOffset()
      : this.layout === LAYOUT_FLAT_PLAIN ? this.u * BLOCK_SIZE
      : img.fail(`unsupported symlink data layout ${this.layout}`, this.inodeAt, 'inode.i_format');
    if (first) this.spend(len, at, 'symlink target');
    img.check(at, len, 'symlink target');
    let z = at;
    while (z < at + len && this.bytes[z] !== 0) z++;
    this.payloadAt = at;
    this.payloadLength = z - at;
  }

  /** Inline file content: full blocks at i_u, then the tail (composefs-image.md §2.8.2); chunk-based: none. */
  private content(first: boolean): void {
    const img = this.img;
    if (this.layout === LAYOUT_CHUNK_BASED) return;
    if (this.layout !== LAYOUT_FLAT_PLAIN && this.layout !== LAYOUT_FLAT_INLINE) {
      img.fail(`unsupported file data layout ${this.layout}`, this.inodeAt, 'inode.i_format');
    }
    if (this.sizeHi !== 0 || this.sizeLo > INLINE_CONTENT_MAX) {
      img.fail(`inline file of ${this.sizeBig()} bytes exceeds ${INLINE_CONTENT_MAX}`, this.inodeAt + IC.size, 'inode.i_size');
    }
    const size = this.sizeLo;
    const tail = this.layout === LAYOUT_FLAT_INLINE ? size % BLOCK_SIZE : 0;
    if (this.layout === LAYOUT_FLAT_INLINE && tail === 0) {
      img.fail('inline layout without an inline tail', this.inodeAt, 'inode.i_format');
    }
    if (first) this.spend(size, this.inodeAt, 'content');
    const blocks = size - tail;
    if (blocks > 0) img.check(this.u * BLOCK_SIZE, blocks, 'content block');
    if (tail > 0) img.check(this.tailOffset(), tail, 'inline content');
    this.contentAt = this.u * BLOCK_SIZE;
    this.contentBlocks = blocks;
    this.contentTail = tail;
    this.tailAt = this.tailOffset();
  }

  /** Inline entries first, then the shared ones in header order (composefs-image.md §2.5, §2.12). */
  private xattrs(): void {
    this.xattrCount = 0;
    if (this.xattrSize === 0) return;
    this.kept = null;
    readXattrs(this.img, this.names, this.inodeAt + this.headerSize, this.xattrSize, this.xattrStart, this.applyXattr);
  }

  /** How C interprets each stored xattr (composefs-image.md §2.12, Appendix B item 14). */
  private readonly applyXattr = (key: string, valueAt: number, valueSize: number): void => {
    const isReg = (this.mode & S_IFMT) === S_IFREG;
    if (key === OVERLAY_XATTR_REDIRECT) {
      if (isReg) this.redirectPayload(valueAt, valueSize);
      return;
    }
    if (key === OVERLAY_XATTR_METACOPY) {
      if (isReg && valueSize === METACOPY_SIZE) this.digestAt = valueAt + 4;
      return;
    }
    if (key === OVERLAY_XATTR_ESCAPED_WHITEOUT && isReg) {
      this.mode = (this.mode & ~S_IFMT) | S_IFCHR;
      this.rdev = 0;
      this.sizeLo = 0;
      this.sizeHi = 0;
      return;
    }
    const name = keptXattrName(key);
    if (name === null) return;
    // A name met again replaces the earlier value in its place. Keys are shared per name (keyOf),
    // so they compare by identity: a scan for the usual few, a Map once an inode has many.
    const k = this.names.keyOf(name);
    const keys = this.xattrKeys;
    const count = this.xattrCount;
    let i = 0;
    if (count < SCANNED_XATTRS) {
      while (i < count && keys[i] !== k) i++;
    } else {
      if (!this.kept) {
        this.kept = new Map();
        for (let j = 0; j < count; j++) this.kept.set(keys[j], j);
      }
      i = this.kept.get(k) ?? count;
      if (i === count) this.kept.set(k, i);
    }
    keys[i] = k;
    this.xattrAt[i] = valueAt;
    this.xattrLength[i] = valueSize;
    if (i === count) this.xattrCount = count + 1;
  };

  /** The backing path from trusted.overlay.redirect (decode.ts redirectStart, redirectEnd). */
  private redirectPayload(valueAt: number, valueSize: number): void {
    this.payloadAt = redirectStart(this.bytes, valueAt, valueSize);
    this.payloadLength = redirectEnd(this.bytes, valueAt, valueSize) - this.payloadAt;
  }

  /** st_size as a bigint (for the rare size of 2^53 and above, and messages). */
  sizeBig(): bigint {
    return (BigInt(this.sizeHi) << 32n) | BigInt(this.sizeLo);
  }

  /** The mtime seconds as a bigint (for values of 2^53 and above). */
  mtimeBig(): bigint {
    return (BigInt(this.mtimeHi) << 32n) | BigInt(this.mtimeLo);
  }
}

/** strcmp(a, b) < 0 for two names in the image. */
function namesIncrease(bytes: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < n; i++) {
    const d = bytes[a + i] - bytes[b + i];
    if (d !== 0) return d < 0;
  }
  return aEnd - a < bEnd - b;
}
