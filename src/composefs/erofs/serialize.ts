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

  /** The dirents [from, to) followed by their names (§2.7). */
  direntGroup(off: number, from: number, to: number): void {
    const { buf, dv } = this;
    const t = this.layout.inodes;
    const nid = this.layout.inodeLayout.nid;
    const names = t.direntName;
    let nameoff = (to - from) * DIRENT_SIZE;
    let p = off;
    for (let d = from; d < to; d++) {
      const target = t.direntTarget[d];
      dv.setUint32(p, nid[target], true); // u64 nid: the high half stays zero (nids < 2^32)
      dv.setUint16(p + 8, nameoff, true);
      buf[p + 10] = fileType(t.mode[target]);
      nameoff += names[d].length;
      p += DIRENT_SIZE;
    }
    for (let d = from; d < to; d++) {
      buf.set(names[d], p);
      p += names[d].length;
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
    dv.setUint16(sb + SB.rootNid, layout.inodeLayout.nid[0], true);
    dv.setBigUint64(sb + SB.inos, BigInt(layout.bfs.length), true);
    dv.setBigUint64(sb + SB.buildTime, BigInt.asUintN(64, layout.minMtimeSec), true);
    dv.setUint32(sb + SB.buildTimeNsec, layout.minMtimeNsec, true);
    dv.setUint32(sb + SB.blocks, layout.blocks, true);
    dv.setUint32(sb + SB.metaBlkaddr, Math.floor(INODE_TABLE_START / BLOCK_SIZE), true);
    dv.setUint32(sb + SB.xattrBlkaddr, Math.floor(layout.inodesEnd / BLOCK_SIZE), true);
  }

  /**
   * Inode `id` at position `ino` of the BFS order: header, xattr area, inline tail (§2.9 P7.3).
   * Kept small, with the rare extended header and the tails in their own methods: in a cold
   * process this loop runs before it is optimized, and a small function is optimized sooner.
   */
  inode(id: number, ino: number): void {
    const t = this.layout.inodes;
    const L = this.layout.inodeLayout;
    const mode = t.mode[id];
    const tail = L.tail[id];
    const xattrSize = L.xattrSize[id];
    const off = L.nid[id] * SLOT_SIZE;
    const external = t.external[id] === 1;
    const layoutKind = external ? LAYOUT_CHUNK_BASED : tail > 0 ? LAYOUT_FLAT_INLINE : LAYOUT_FLAT_PLAIN;
    const icount = xattrSize === 0 ? 0 : (xattrSize - XATTR_IBODY_HEADER_SIZE) / 4 + 1;
    let u = L.blkaddr[id];
    if (isDevice(mode)) u = t.rdev(id);
    else if (external) u = ((u & 0xffff0000) | t.chunkFormat[id]) >>> 0;
    let p: number;
    if (L.compact[id] === 1) {
      const dv = this.dv;
      dv.setUint16(off + IC.format, layoutKind << I_DATALAYOUT_SHIFT, true);
      dv.setUint16(off + IC.xattrIcount, icount, true);
      dv.setUint16(off + IC.mode, mode & 0xffff, true);
      dv.setUint16(off + IC.nlink, t.nlink[id], true);
      // Compact: the size fits 32 bits (§2.4.4).
      dv.setUint32(off + IC.size, isReg(mode) ? Number(t.size(id)) : this.smallSize(id, mode), true);
      dv.setUint32(off + IC.u, u, true);
      dv.setUint32(off + IC.ino, ino, true);
      dv.setUint16(off + IC.uid, t.uid(id), true);
      dv.setUint16(off + IC.gid, t.gid(id), true);
      p = off + INODE_COMPACT_SIZE;
    } else {
      this.extendedHeader(id, ino, off, (layoutKind << I_DATALAYOUT_SHIFT) | I_VERSION_EXTENDED, icount, u);
      p = off + INODE_EXTENDED_SIZE;
    }
    if (xattrSize > 0) p = this.xattrs(id, p);
    if (tail > 0) this.inlineTail(id, p, tail, external);
  }

  /** st_size of a non-regular inode: directory data size, symlink target length, else 0. */
  smallSize(id: number, mode: number): number {
    if (isDir(mode)) return this.layout.inodeLayout.nblocks[id] * BLOCK_SIZE + this.layout.inodeLayout.tail[id];
    if (isLnk(mode)) return this.layout.inodes.payload(id)?.length ?? 0;
    return 0;
  }

  /** The 64-byte inode header (§2.4.2). */
  extendedHeader(id: number, ino: number, off: number, format: number, icount: number, u: number): void {
    const { dv } = this;
    const t = this.layout.inodes;
    const mode = t.mode[id];
    const size = isReg(mode) ? t.size(id) : BigInt(this.smallSize(id, mode));
    dv.setUint16(off + IE.format, format, true);
    dv.setUint16(off + IE.xattrIcount, icount, true);
    dv.setUint16(off + IE.mode, mode & 0xffff, true);
    dv.setBigUint64(off + IE.size, BigInt.asUintN(64, size), true);
    dv.setUint32(off + IE.u, u, true);
    dv.setUint32(off + IE.ino, ino, true);
    dv.setUint32(off + IE.uid, t.uid(id), true);
    dv.setUint32(off + IE.gid, t.gid(id), true);
    dv.setBigUint64(off + IE.mtime, BigInt.asUintN(64, t.mtimeSec(id)), true);
    dv.setUint32(off + IE.mtimeNsec, t.mtimeNsec(id), true);
    dv.setUint32(off + IE.nlink, t.nlink[id], true);
  }

  /** The inline tail at p: directory tail group, symlink target, chunk table or last content bytes. */
  inlineTail(id: number, p: number, tail: number, external: boolean): void {
    const t = this.layout.inodes;
    const mode = t.mode[id];
    if (isDir(mode)) {
      this.direntGroup(p, this.layout.inodeLayout.tailStart[id], t.direntEnd[id]);
    } else if (isLnk(mode)) {
      this.buf.set(t.payload(id)!, p);
    } else if (external) {
      this.buf.fill(0xff, p, p + tail);
    } else {
      const content = t.content(id);
      if (content) this.buf.set(content.subarray(content.length - tail), p);
    }
  }

  /** The inline xattr area: ibody header, shared ids, unshared entries (§2.5). */
  xattrs(id: number, start: number): number {
    const { dv, buf, layout } = this;
    const t = layout.xattrs;
    const xs = layout.inodes.xattrs[id];
    const base = t.xattrBase[id];
    const end = base + xs.length;
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
    for (let o = base; o < end; o++) if (t.occShared[o] < 0) p = this.xattrEntry(p, xs[o - base], t.occKey[o]);
    return p;
  }

  /** Full blocks of an inode: directory blocks, or its one content block (§2.9 P7.7). */
  dataBlocks(id: number): void {
    const t = this.layout.inodes;
    const L = this.layout.inodeLayout;
    let off = L.blkaddr[id] * BLOCK_SIZE;
    const mode = t.mode[id];
    if (isDir(mode)) {
      const starts = L.blockStarts[id]!;
      for (let b = 0; b < starts.length; b++) {
        this.direntGroup(off, starts[b], b + 1 < starts.length ? starts[b + 1] : L.tailStart[id]);
        off += BLOCK_SIZE;
      }
      return;
    }
    const content = t.content(id);
    if (isLnk(mode)) this.buf.set(t.payload(id)!, off);
    else if (content) this.buf.set(content.subarray(0, Math.min(content.length, BLOCK_SIZE)), off);
    else if (isReg(mode)) this.buf.fill(0xff, off, off + BLOCK_SIZE);
  }

  write(): Uint8Array {
    const { bfs, inodeLayout } = this.layout;
    this.header();
    for (let ino = 0; ino < bfs.length; ino++) this.inode(bfs[ino], ino);
    let p = this.layout.inodesEnd;
    const { shared, sharedKeys } = this.layout.xattrs;
    for (let i = 0; i < shared.length; i++) p = this.xattrEntry(p, shared[i], sharedKeys[i]);
    for (let i = 0; i < bfs.length; i++) if (inodeLayout.nblocks[bfs[i]] > 0) this.dataBlocks(bfs[i]);
    return this.buf;
  }
}

export function serializeImage(layout: Layout, version: number): Uint8Array {
  return new ImageWriter(layout, version).write();
}
