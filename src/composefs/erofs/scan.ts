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
import { type ImageHeader, imageHeader } from './header.js';
import {
  BLOCK_SIZE,
  DIRENT_SIZE,
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
  MAX_NAME_LENGTH,
  METACOPY_SIZE,
  OVERLAY_XATTR_ESCAPE_PREFIX,
  OVERLAY_XATTR_ESCAPED_WHITEOUT,
  OVERLAY_XATTR_ESCAPED_WHITEOUTS,
  OVERLAY_XATTR_METACOPY,
  OVERLAY_XATTR_PREFIX,
  OVERLAY_XATTR_REDIRECT,
  OVERLAY_XATTR_USERXATTR_WHITEOUT,
  OVERLAY_XATTR_USERXATTR_WHITEOUTS,
  PATH_MAX,
  SB,
  SLOT_SIZE,
  SUPERBLOCK_OFFSET,
  XATTR_ENTRY_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  XATTR_NAME_MAX,
  XATTR_PREFIXES,
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

const DOT = 0x2e;
const SLASH = 0x2f;
/** Up to this many xattrs on an inode, a repeated name is found by a scan rather than a Map. */
const SCANNED_XATTRS = 16;
/** How many decoded xattr names the scanner keeps for reuse. */
const RECENT_NAMES = 8;
const TWO_32 = 2 ** 32;
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
  private readonly keyBytes = new Map<string, Uint8Array>();
  private readonly recentNames: { index: number; suffix: Uint8Array; name: string }[] = [];
  private nextRecent = 0;

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

  /** One directory block or tail: n dirents (n = nameoff[0] / 12), then the names (composefs-image.md §2.7). */
  private dirBlock(offset: number, size: number): void {
    const img = this.img;
    img.check(offset, size, 'directory block');
    if (size < DIRENT_SIZE) img.fail(`directory block of ${size} bytes holds no entry`, offset, 'dirent');
    const view = this.view; // every read below lies inside the block checked above
    const direntsSize = view.getUint16(offset + 8, true);
    if (direntsSize % DIRENT_SIZE !== 0 || direntsSize > size) {
      img.fail(`first name offset ${direntsSize} is not a dirent boundary inside the block`, offset + 8, 'dirent.nameoff');
    }
    const n = direntsSize / DIRENT_SIZE;
    const bytes = this.bytes;
    let nameOff = direntsSize;
    for (let i = 0; i < n; i++) {
      const at = offset + i * DIRENT_SIZE;
      const last = i + 1 === n;
      const nameEnd = last ? size : view.getUint16(at + DIRENT_SIZE + 8, true);
      if (nameOff < direntsSize || nameEnd < nameOff || nameEnd > size) {
        img.fail(`name offsets ${nameOff}..${nameEnd} outside the names of a ${size}-byte block`, at + 8, 'dirent.nameoff');
      }
      // Every name is a C string; the last one runs to the first NUL or the block end, the
      // others are their full span when told apart from "." and "..".
      const start = offset + nameOff;
      const stop = offset + nameEnd;
      let end = start;
      let slash = false;
      while (end < stop) {
        const c = bytes[end];
        if (c === 0) break;
        if (c === SLASH) slash = true;
        end++;
      }
      const storedEnd = last ? end : stop;
      nameOff = nameEnd;
      if (isDotOrDotDot(bytes, start, storedEnd)) continue;
      const len = end - start;
      if (len === 0 || len > MAX_NAME_LENGTH || slash || isDotOrDotDot(bytes, start, end)) {
        img.fail(`invalid entry name of ${len} bytes`, at, 'dirent.name');
      }
      const high = view.getUint32(at + 4, true);
      this.pushEntry(high === 0 ? view.getUint32(at, true) : Number.MAX_SAFE_INTEGER, start, end, at);
    }
  }

  private pushEntry(nid: number, nameStart: number, nameEnd: number, at: number): void {
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
  }

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
    const img = this.img;
    const start = this.inodeAt + this.headerSize;
    const end = start + this.xattrSize;
    this.kept = null;
    const shared = this.bytes[start + 4]; // the area holds at least the 12-byte header
    let p = start + XATTR_IBODY_HEADER_SIZE + shared * 4;
    if (p > end) img.fail(`${shared} shared xattr ids do not fit the xattr area`, start + 4, 'xattr.h_shared_count');
    while (p + XATTR_ENTRY_SIZE < end) {
      const entrySize = this.xattrEntry(p, end);
      p += (entrySize + 3) & ~3;
    }
    for (let i = 0; i < shared; i++) {
      const idOffset = start + XATTR_IBODY_HEADER_SIZE + i * 4;
      const entry = this.xattrStart + this.view.getUint32(idOffset, true) * 4; // inside the area: checked above
      if (entry + XATTR_ENTRY_SIZE > img.length) img.fail('shared xattr id points outside the image', idOffset, 'xattr.h_shared_xattrs');
      this.xattrEntry(entry, img.length);
    }
  }

  /** Decodes one erofs_xattr_entry at `at` (which must end by `end`) and applies it; returns its size. */
  private xattrEntry(at: number, end: number): number {
    const img = this.img;
    // the 4-byte entry header lies inside the image (inline: before `end`; shared: checked)
    const nameLen = this.bytes[at];
    const index = this.bytes[at + 1];
    const valueSize = this.view.getUint16(at + 2, true);
    const size = XATTR_ENTRY_SIZE + nameLen + valueSize;
    if (at + size > end) img.fail(`xattr entry of ${size} bytes overruns its area`, at, 'xattr.e_value_size');
    const prefix = XATTR_PREFIXES[index];
    if (prefix === undefined) img.fail(`unknown xattr name index ${index}`, at + 1, 'xattr.e_name_index');
    const nameAt = at + XATTR_ENTRY_SIZE;
    let suffixLen = 0; // a C string: the name ends at a NUL
    while (suffixLen < nameLen && this.bytes[nameAt + suffixLen] !== 0) suffixLen++;
    const key = this.xattrName(index, prefix, nameAt, suffixLen);
    if (key.length === 0 || key.length > XATTR_NAME_MAX) img.fail(`xattr name of ${key.length} bytes`, at, 'xattr.name');
    this.applyXattr(key, nameAt + nameLen, valueSize);
    return size;
  }

  /** The full name of an xattr entry: its prefix, then the suffix bytes at `at` as latin1. */
  private xattrName(index: number, prefix: string, at: number, len: number): string {
    const bytes = this.bytes;
    const recent = this.recentNames;
    for (let k = 0; k < recent.length; k++) {
      const r = recent[k];
      if (r.index !== index || r.suffix.length !== len) continue;
      let i = 0;
      while (i < len && r.suffix[i] === bytes[at + i]) i++;
      if (i === len) return r.name;
    }
    const name = prefix + this.img.latin1(at, len);
    const entry = { index, suffix: bytes.subarray(at, at + len), name };
    if (recent.length < RECENT_NAMES) recent.push(entry);
    else recent[this.nextRecent++ % RECENT_NAMES] = entry;
    return name;
  }

  /** How C interprets each stored xattr (composefs-image.md §2.12, Appendix B item 14). */
  private applyXattr(key: string, valueAt: number, valueSize: number): void {
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
    if (key === OVERLAY_XATTR_ESCAPED_WHITEOUTS || key === OVERLAY_XATTR_USERXATTR_WHITEOUT || key === OVERLAY_XATTR_USERXATTR_WHITEOUTS) {
      return;
    }
    let name = key;
    if (key.startsWith(OVERLAY_XATTR_PREFIX)) {
      if (!key.startsWith(OVERLAY_XATTR_ESCAPE_PREFIX)) return; // real overlay xattrs, e.g. the root's opaque=y
      name = 'trusted.' + key.slice(OVERLAY_XATTR_PREFIX.length); // one escape level off
    }
    // A name met again replaces the earlier value in its place. Keys are shared per name (keyOf),
    // so they compare by identity: a scan for the usual few, a Map once an inode has many.
    const k = this.keyOf(name);
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
  }

  /**
   * The backing path from trusted.overlay.redirect. C quirk (composefs-image.md §2.12): after a leading '/',
   * it reads up to two bytes past the value and cuts at the first NUL (clamped here to the image).
   */
  private redirectPayload(valueAt: number, valueSize: number): void {
    const bytes = this.bytes;
    let start = valueAt;
    let end = valueAt + valueSize;
    if (valueSize > 1 && bytes[valueAt] === SLASH) {
      start += 1;
      end = Math.min(end + 2, bytes.length);
    }
    let z = start;
    while (z < end && bytes[z] !== 0) z++;
    this.payloadAt = start;
    this.payloadLength = z - start;
  }

  /** Key bytes, shared between the inodes that carry the same key. */
  private keyOf(name: string): Uint8Array {
    let k = this.keyBytes.get(name);
    if (!k) {
      k = Uint8Array.from(name, (c) => c.charCodeAt(0));
      this.keyBytes.set(name, k);
    }
    return k;
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

/** Whether bytes[start, end) is "." or "..". */
function isDotOrDotDot(bytes: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  return (len === 1 || len === 2) && bytes[start] === DOT && (len === 1 || bytes[start + 1] === DOT);
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
