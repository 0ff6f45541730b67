/**
 * Writer pass P7 (spec composefs-image.md §2.9 P7): writes the laid-out image into one
 * preallocated, zero-filled buffer. Every offset comes from the layout (layout.ts).
 */
import { isDevice, isDir, isLnk, isReg, S_IFMT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, type Xattr } from '../tree.js';
import {
  BLOCK_BITS,
  BLOCK_SIZE,
  CFS_FLAG_HAS_ACL,
  CFS_HDR,
  CFS_LAYOUT_VERSION,
  CFS_MAGIC,
  DIRENT_SIZE,
  EROFS_MAGIC,
  FEATURE_COMPAT_MTIME,
  FEATURE_COMPAT_XATTR_FILTER,
  FT_BLKDEV,
  FT_CHRDEV,
  FT_DIR,
  FT_FIFO,
  FT_REG_FILE,
  FT_SOCK,
  FT_SYMLINK,
  FT_UNKNOWN,
  I_DATALAYOUT_SHIFT,
  I_VERSION_EXTENDED,
  IC,
  IE,
  INODE_COMPACT_SIZE,
  INODE_EXTENDED_SIZE,
  INODE_TABLE_START,
  LAYOUT_CHUNK_BASED,
  LAYOUT_FLAT_INLINE,
  LAYOUT_FLAT_PLAIN,
  SB,
  SLOT_SIZE,
  SUPERBLOCK_OFFSET,
  XATTR_ENTRY_SIZE,
  XATTR_FILTER_DEFAULT,
  XATTR_IBODY_HEADER_SIZE,
} from './format.js';
import type { Dirent, WInode } from './inode.js';
import { type Layout, xattrEntrySize } from './layout.js';

function fileType(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFREG: return FT_REG_FILE;
    case S_IFDIR: return FT_DIR;
    case S_IFCHR: return FT_CHRDEV;
    case S_IFBLK: return FT_BLKDEV;
    case S_IFIFO: return FT_FIFO;
    case S_IFSOCK: return FT_SOCK;
    case S_IFLNK: return FT_SYMLINK;
    default: return FT_UNKNOWN;
  }
}

class ImageWriter {
  readonly buf: Uint8Array;
  readonly dv: DataView;

  constructor(readonly layout: Layout, readonly version: number) {
    this.buf = new Uint8Array(layout.blocks * BLOCK_SIZE);
    this.dv = new DataView(this.buf.buffer);
  }

  /** One xattr entry (§2.5) of key id `keyId`; returns the offset after its padding. */
  xattrEntry(off: number, x: Xattr, keyId: number): number {
    const t = this.layout.xattrs;
    const suffix = t.keySuffix[keyId];
    const value = x.value;
    const buf = this.buf;
    buf[off] = suffix.length;
    buf[off + 1] = t.keyIndex[keyId];
    buf[off + 2] = value.length & 0xff;
    buf[off + 3] = value.length >>> 8;
    buf.set(suffix, off + XATTR_ENTRY_SIZE);
    if (value.length > 0) buf.set(value, off + XATTR_ENTRY_SIZE + suffix.length);
    return off + xattrEntrySize(suffix.length, value.length);
  }

  /** A group of dirents followed by their names (§2.7). */
  direntGroup(off: number, dirents: Dirent[], from: number, to: number): void {
    let nameoff = (to - from) * DIRENT_SIZE;
    let p = off;
    for (let i = from; i < to; i++) {
      const d = dirents[i];
      const t = d.target!;
      this.dv.setUint32(p, t.nid, true); // u64 nid: the high half stays zero (nids < 2^32)
      this.dv.setUint16(p + 8, nameoff, true);
      this.buf[p + 10] = fileType(t.mode);
      nameoff += d.name.length;
      p += DIRENT_SIZE;
    }
    for (let i = from; i < to; i++) {
      this.buf.set(dirents[i].name, p);
      p += dirents[i].name.length;
    }
  }

  header(): void {
    const { dv, layout } = this;
    dv.setUint32(CFS_HDR.magic, CFS_MAGIC, true);
    dv.setUint32(CFS_HDR.version, CFS_LAYOUT_VERSION, true);
    dv.setUint32(CFS_HDR.flags, layout.hasAcl ? CFS_FLAG_HAS_ACL : 0, true);
    dv.setUint32(CFS_HDR.composefsVersion, this.version, true);
    const sb = SUPERBLOCK_OFFSET;
    dv.setUint32(sb + SB.magic, EROFS_MAGIC, true);
    dv.setUint32(sb + SB.featureCompat, FEATURE_COMPAT_MTIME | FEATURE_COMPAT_XATTR_FILTER, true);
    this.buf[sb + SB.blkszbits] = BLOCK_BITS;
    dv.setUint16(sb + SB.rootNid, layout.inodes[0].nid, true);
    dv.setBigUint64(sb + SB.inos, BigInt(layout.inodes.length), true);
    dv.setBigUint64(sb + SB.buildTime, BigInt.asUintN(64, layout.minMtimeSec), true);
    dv.setUint32(sb + SB.buildTimeNsec, layout.minMtimeNsec, true);
    dv.setUint32(sb + SB.blocks, layout.blocks, true);
    dv.setUint32(sb + SB.metaBlkaddr, Math.floor(INODE_TABLE_START / BLOCK_SIZE), true);
    dv.setUint32(sb + SB.xattrBlkaddr, Math.floor(layout.inodesEnd / BLOCK_SIZE), true);
  }

  inode(w: WInode): void {
    const { dv, buf } = this;
    const off = w.nid * SLOT_SIZE;
    const external = isReg(w.mode) && w.size > 0n && w.content === null;
    const layoutKind = external ? LAYOUT_CHUNK_BASED : w.tail > 0 ? LAYOUT_FLAT_INLINE : LAYOUT_FLAT_PLAIN;
    const format = (layoutKind << I_DATALAYOUT_SHIFT) | (w.compact ? 0 : I_VERSION_EXTENDED);
    const icount = w.xattrSize === 0 ? 0 : (w.xattrSize - XATTR_IBODY_HEADER_SIZE) / 4 + 1;
    let size: number | bigint;
    if (isDir(w.mode)) size = w.nblocks * BLOCK_SIZE + w.tail;
    else if (isLnk(w.mode)) size = w.payload?.length ?? 0;
    else if (isReg(w.mode)) size = w.size;
    else size = 0;
    let u = w.blkaddr;
    if (isDevice(w.mode)) u = w.rdev;
    else if (external) u = ((u & 0xffff0000) | w.chunkFormat) >>> 0;
    if (w.compact) {
      dv.setUint16(off + IC.format, format, true);
      dv.setUint16(off + IC.xattrIcount, icount, true);
      dv.setUint16(off + IC.mode, w.mode & 0xffff, true);
      dv.setUint16(off + IC.nlink, w.nlink, true);
      dv.setUint32(off + IC.size, Number(size), true);
      dv.setUint32(off + IC.u, u, true);
      dv.setUint32(off + IC.ino, w.index, true);
      dv.setUint16(off + IC.uid, w.uid, true);
      dv.setUint16(off + IC.gid, w.gid, true);
    } else {
      dv.setUint16(off + IE.format, format, true);
      dv.setUint16(off + IE.xattrIcount, icount, true);
      dv.setUint16(off + IE.mode, w.mode & 0xffff, true);
      dv.setBigUint64(off + IE.size, BigInt.asUintN(64, BigInt(size)), true);
      dv.setUint32(off + IE.u, u, true);
      dv.setUint32(off + IE.ino, w.index, true);
      dv.setUint32(off + IE.uid, w.uid, true);
      dv.setUint32(off + IE.gid, w.gid, true);
      dv.setBigUint64(off + IE.mtime, BigInt.asUintN(64, w.mtimeSec), true);
      dv.setUint32(off + IE.mtimeNsec, w.mtimeNsec, true);
      dv.setUint32(off + IE.nlink, w.nlink, true);
    }
    let p = off + (w.compact ? INODE_COMPACT_SIZE : INODE_EXTENDED_SIZE);
    if (w.xattrSize > 0) p = this.xattrs(w, p);
    // Inline tail.
    if (w.tail === 0) return;
    if (isDir(w.mode)) {
      this.direntGroup(p, w.dirents!, w.tailStart, w.dirents!.length);
    } else if (isLnk(w.mode)) {
      buf.set(w.payload!, p);
    } else if (external) {
      buf.fill(0xff, p, p + w.tail);
    } else if (w.content) {
      buf.set(w.content.subarray(w.content.length - w.tail), p);
    }
  }

  /** The inline xattr area: ibody header, shared ids, unshared entries (§2.5). */
  xattrs(w: WInode, start: number): number {
    const { dv, buf, layout } = this;
    const t = layout.xattrs;
    const base = w.xattrBase;
    const end = base + w.xattrs.length;
    let filter = 0;
    let nShared = 0;
    for (let o = base; o < end; o++) {
      filter |= 1 << t.keyFilterBit[t.occKey[o]];
      if (t.occShared[o] >= 0) nShared++;
    }
    dv.setUint32(start, (XATTR_FILTER_DEFAULT & ~filter) >>> 0, true);
    buf[start + 4] = nShared;
    let p = start + XATTR_IBODY_HEADER_SIZE;
    const tableBase = layout.inodesEnd % BLOCK_SIZE;
    for (let o = base; o < end; o++) {
      if (t.occShared[o] < 0) continue;
      dv.setUint32(p, (tableBase + t.occShared[o]) / 4, true);
      p += 4;
    }
    for (let o = base; o < end; o++) if (t.occShared[o] < 0) p = this.xattrEntry(p, w.xattrs[o - base], t.occKey[o]);
    return p;
  }

  /** Full blocks of a node: directory blocks, then its one content block (§2.9 P7.7). */
  dataBlocks(w: WInode): void {
    let off = w.blkaddr * BLOCK_SIZE;
    if (w.blockStarts) {
      const dirents = w.dirents!;
      const starts = w.blockStarts;
      for (let b = 0; b < starts.length; b++) {
        this.direntGroup(off, dirents, starts[b], b + 1 < starts.length ? starts[b + 1] : w.tailStart);
        off += BLOCK_SIZE;
      }
      return;
    }
    if (isLnk(w.mode)) this.buf.set(w.payload!, off);
    else if (w.content) this.buf.set(w.content.subarray(0, Math.min(w.content.length, BLOCK_SIZE)), off);
    else if (isReg(w.mode)) this.buf.fill(0xff, off, off + BLOCK_SIZE);
  }

  write(): Uint8Array {
    this.header();
    for (const w of this.layout.inodes) this.inode(w);
    let p = this.layout.inodesEnd;
    const { shared, sharedKeys } = this.layout.xattrs;
    for (let i = 0; i < shared.length; i++) p = this.xattrEntry(p, shared[i], sharedKeys[i]);
    for (const w of this.layout.inodes) if (w.nblocks > 0) this.dataBlocks(w);
    return this.buf;
  }
}

export function serializeImage(layout: Layout, version: number): Uint8Array {
  return new ImageWriter(layout, version).write();
}
