/**
 * Writer pass P7 (spec composefs-image.md §2.9 P7): writes the laid-out image into one zero-filled buffer with linear-memory stores. Every offset
 * comes from the layout (layout.ts).
 */
import { isDevice, isDir, isLnk, isReg } from '../tree';
import {
  BLOCK_BITS,
  BLOCK_SIZE,
  CFS_FLAG_HAS_ACL,
  CFS_HDR_COMPOSEFS_VERSION,
  CFS_HDR_FLAGS,
  CFS_HDR_MAGIC,
  CFS_HDR_VERSION,
  CFS_LAYOUT_VERSION,
  CFS_MAGIC,
  DIRENT_SIZE,
  EROFS_MAGIC,
  FEATURE_COMPAT_MTIME,
  FEATURE_COMPAT_XATTR_FILTER,
  I_DATALAYOUT_SHIFT,
  I_VERSION_EXTENDED,
  IC_FORMAT,
  IC_GID,
  IC_INO,
  IC_MODE,
  IC_NLINK,
  IC_SIZE,
  IC_U,
  IC_UID,
  IC_XATTR_ICOUNT,
  IE_FORMAT,
  IE_GID,
  IE_INO,
  IE_MODE,
  IE_MTIME,
  IE_MTIME_NSEC,
  IE_NLINK,
  IE_SIZE,
  IE_U,
  IE_UID,
  IE_XATTR_ICOUNT,
  INODE_COMPACT_SIZE,
  INODE_EXTENDED_SIZE,
  INODE_TABLE_START,
  LAYOUT_CHUNK_BASED,
  LAYOUT_FLAT_INLINE,
  LAYOUT_FLAT_PLAIN,
  SB_BLKSZBITS,
  SB_BLOCKS,
  SB_BUILD_TIME,
  SB_BUILD_TIME_NSEC,
  SB_FEATURE_COMPAT,
  SB_INOS,
  SB_MAGIC,
  SB_META_BLKADDR,
  SB_ROOT_NID,
  SB_XATTR_BLKADDR,
  SLOT_SIZE,
  SUPERBLOCK_OFFSET,
  XATTR_ENTRY_SIZE,
  XATTR_FILTER_DEFAULT,
  XATTR_IBODY_HEADER_SIZE,
} from '../../contract/erofs';
import { COMPACT, fileType, Inodes } from './inode';
import { InodeLayout, inlineXattrSize, Layout, XattrTable, xattrEntrySize } from './layout';

// @ts-ignore: decorator
@inline function copyBytes(dst: usize, b: Uint8Array): void {
  memory.copy(dst, b.dataStart, b.length);
}

class ImageWriter {
  buf: Uint8Array;
  /** Address of the image's first byte in linear memory. */
  base: usize;
  t: Inodes;
  L: InodeLayout;
  x: XattrTable;

  constructor(public layout: Layout, public version: i32) {
    const buf = new Uint8Array(layout.blocks * BLOCK_SIZE);
    this.t = layout.order.inodes;
    this.L = layout.inodeLayout;
    this.x = layout.xattrs;
    this.buf = buf;
    this.base = buf.dataStart;
  }

  /** The xattr entry (composefs-image.md §2.5) of record `r`, key id `keyId`, at p; returns the address after its padding. */
  xattrEntry(p: usize, r: i32, keyId: i32): usize {
    const suffix = this.x.keySuffix[keyId];
    const valueLength = this.t.xattrs.valueLength(r);
    store<u8>(p, <u8>suffix.length);
    store<u8>(p, this.x.keyIndex[keyId], 1);
    store<u16>(p, <u16>valueLength, 2);
    copyBytes(p + XATTR_ENTRY_SIZE, suffix);
    this.t.xattrs.writeValue(r, p + XATTR_ENTRY_SIZE + suffix.length);
    return p + xattrEntrySize(suffix.length, valueLength);
  }

  /** The dirents [from, to) at p followed by their names (composefs-image.md §2.7). */
  direntGroup(p: usize, from: i32, to: i32): void {
    const t = this.t;
    const nid = this.L.nid;
    const names = t.direntName;
    let nameoff = (to - from) * DIRENT_SIZE;
    for (let d = from; d < to; d++) {
      const target = t.direntTarget[d];
      store<u32>(p, <u32>unchecked(nid[target])); // u64 nid: the high half stays zero (nids < 2^32)
      store<u16>(p, <u16>nameoff, 8);
      store<u8>(p, fileType(t.mode[target]), 10);
      nameoff += unchecked(t.direntNameLength[d]);
      p += DIRENT_SIZE;
    }
    for (let d = from; d < to; d++) {
      const name = unchecked(names[d]);
      copyBytes(p, name);
      p += name.length;
    }
  }

  header(): void {
    const b = this.base;
    const order = this.layout.order;
    store<u32>(b + CFS_HDR_MAGIC, CFS_MAGIC);
    store<u32>(b + CFS_HDR_VERSION, CFS_LAYOUT_VERSION);
    store<u32>(b + CFS_HDR_FLAGS, order.hasAcl ? CFS_FLAG_HAS_ACL : 0);
    store<u32>(b + CFS_HDR_COMPOSEFS_VERSION, <u32>this.version);
    const sb = b + SUPERBLOCK_OFFSET;
    store<u32>(sb + SB_MAGIC, EROFS_MAGIC);
    store<u32>(sb + SB_FEATURE_COMPAT, FEATURE_COMPAT_MTIME | FEATURE_COMPAT_XATTR_FILTER);
    store<u8>(sb + SB_BLKSZBITS, <u8>BLOCK_BITS);
    store<u16>(sb + SB_ROOT_NID, <u16>this.L.nid[0]);
    store<u64>(sb + SB_INOS, <u64>order.bfs.length);
    store<u64>(sb + SB_BUILD_TIME, <u64>order.minMtimeSec);
    store<u32>(sb + SB_BUILD_TIME_NSEC, order.minMtimeNsec);
    store<u32>(sb + SB_BLOCKS, <u32>this.layout.blocks);
    store<u32>(sb + SB_META_BLKADDR, <u32>(INODE_TABLE_START / BLOCK_SIZE));
    store<u32>(sb + SB_XATTR_BLKADDR, <u32>(this.layout.inodesEnd / BLOCK_SIZE));
  }

  /** Inode `id` at position `ino` of the BFS order, first data block `blkaddr`: header, xattr area, inline tail (composefs-image.md §2.9 P7.3). */
  inode(id: i32, ino: u32, blkaddr: u32): void {
    const t = this.t;
    const L = this.L;
    const mode = t.mode[id];
    const tail = L.tail[id];
    const xattrSize = inlineXattrSize(t, this.x, id);
    const p = this.base + <usize>L.nid[id] * SLOT_SIZE;
    const external = t.isExternal(id);
    const layoutKind = external ? LAYOUT_CHUNK_BASED : tail > 0 ? LAYOUT_FLAT_INLINE : LAYOUT_FLAT_PLAIN;
    const icount = xattrSize == 0 ? 0 : (xattrSize - XATTR_IBODY_HEADER_SIZE) / 4 + 1;
    let u = blkaddr;
    if (isDevice(mode)) u = unchecked(t.rdev[id]);
    else if (external) u = (u & 0xffff0000) | <u32>t.chunkFormat[id];
    const size: u64 = isReg(mode) ? unchecked(t.size[id]) : this.smallSize(id, mode);
    let q: usize;
    if (unchecked(t.flags[id]) & COMPACT) {
      store<u16>(p + IC_FORMAT, <u16>(layoutKind << I_DATALAYOUT_SHIFT));
      store<u16>(p + IC_XATTR_ICOUNT, <u16>icount);
      store<u16>(p + IC_MODE, <u16>mode);
      store<u16>(p + IC_NLINK, <u16>t.nlink[id]);
      // Compact: the size fits 32 bits (composefs-image.md §2.4.4).
      store<u32>(p + IC_SIZE, <u32>size);
      store<u32>(p + IC_U, u);
      store<u32>(p + IC_INO, ino);
      store<u16>(p + IC_UID, <u16>unchecked(t.uid[id]));
      store<u16>(p + IC_GID, <u16>unchecked(t.gid[id]));
      q = p + INODE_COMPACT_SIZE;
    } else {
      store<u16>(p + IE_FORMAT, <u16>((layoutKind << I_DATALAYOUT_SHIFT) | I_VERSION_EXTENDED));
      store<u16>(p + IE_XATTR_ICOUNT, <u16>icount);
      store<u16>(p + IE_MODE, <u16>mode);
      store<u64>(p + IE_SIZE, size);
      store<u32>(p + IE_U, u);
      store<u32>(p + IE_INO, ino);
      store<u32>(p + IE_UID, unchecked(t.uid[id]));
      store<u32>(p + IE_GID, unchecked(t.gid[id]));
      store<u64>(p + IE_MTIME, <u64>unchecked(t.mtimeSec[id]));
      store<u32>(p + IE_MTIME_NSEC, unchecked(t.mtimeNsec[id]));
      store<u32>(p + IE_NLINK, t.nlink[id]);
      q = p + INODE_EXTENDED_SIZE;
    }
    if (xattrSize > 0) q = this.xattrs(id, q);
    if (tail > 0) this.inlineTail(id, q, tail, external);
  }

  /** st_size of a non-regular inode: directory data size, symlink target length, else 0. */
  smallSize(id: i32, mode: u32): u64 {
    if (isDir(mode)) return <u64>this.L.nblocks[id] * BLOCK_SIZE + <u64>this.L.tail[id];
    if (isLnk(mode)) return <u64>unchecked(this.t.dataLength[id]);
    return 0;
  }

  /** The inline tail at p: directory tail group, symlink target, chunk table or last content bytes. */
  inlineTail(id: i32, p: usize, tail: i32, external: bool): void {
    const t = this.t;
    const mode = t.mode[id];
    if (isDir(mode)) {
      this.direntGroup(p, this.L.tailStart[id], t.direntEnd[id]);
    } else if (isLnk(mode)) {
      copyBytes(p, t.payload(id)!);
    } else if (external) {
      memory.fill(p, 0xff, tail);
    } else {
      const content = t.content(id);
      if (content) memory.copy(p, content.dataStart + content.length - tail, tail);
    }
  }

  /** The inline xattr area at `start`: ibody header, shared ids, unshared entries (composefs-image.md §2.5). */
  xattrs(id: i32, start: usize): usize {
    const x = this.x;
    const base = unchecked(this.t.xattrs.start[id]);
    const end = base + unchecked(this.t.xattrs.count[id]);
    let filter: u32 = 0;
    let nShared = 0;
    for (let o = base; o < end; o++) {
      filter |= (<u32>1) << x.keyFilterBit[unchecked(x.occKey[o])];
      if (unchecked(x.occShared[o]) >= 0) nShared++;
    }
    store<u32>(start, XATTR_FILTER_DEFAULT & ~filter);
    store<u8>(start, <u8>nShared, 4);
    let p = start + XATTR_IBODY_HEADER_SIZE;
    const tableBase = this.layout.inodesEnd % BLOCK_SIZE;
    for (let o = base; o < end; o++) {
      const shared = unchecked(x.occShared[o]);
      if (shared < 0) continue;
      store<u32>(p, <u32>((tableBase + shared) / 4));
      p += 4;
    }
    for (let o = base; o < end; o++) {
      if (unchecked(x.occShared[o]) < 0) p = this.xattrEntry(p, o, unchecked(x.occKey[o]));
    }
    return p;
  }

  /** Full blocks of an inode from block `blkaddr`: directory blocks, or its one content block (composefs-image.md §2.9 P7.7). */
  dataBlocks(id: i32, blkaddr: u32): void {
    const t = this.t;
    const L = this.L;
    let p = this.base + <usize>blkaddr * BLOCK_SIZE;
    const mode = t.mode[id];
    if (isDir(mode)) {
      const starts = L.blockStarts[id]!;
      for (let b = 0, n = starts.length; b < n; b++) {
        this.direntGroup(p, starts[b], b + 1 < n ? starts[b + 1] : L.tailStart[id]);
        p += BLOCK_SIZE;
      }
      return;
    }
    const content = t.content(id);
    if (isLnk(mode)) copyBytes(p, t.payload(id)!);
    else if (content) memory.copy(p, content.dataStart, min<i32>(content.length, BLOCK_SIZE));
    else if (isReg(mode)) memory.fill(p, 0xff, BLOCK_SIZE);
  }

  write(): Uint8Array {
    const bfs = this.layout.order.bfs;
    const n = bfs.length;
    const firstBlock = <u32>(this.layout.dataBlockStart / BLOCK_SIZE);
    this.header();
    // Block addresses in BFS order (P7.3), 0 for an inode without blocks.
    for (let ino = 0, next = firstBlock; ino < n; ino++) {
      const id = unchecked(bfs[ino]);
      const nblocks = <u32>this.L.nblocks[id];
      this.inode(id, <u32>ino, nblocks > 0 ? next : 0);
      next += nblocks;
    }
    let p = this.base + this.layout.inodesEnd;
    const shared = this.x.shared;
    const sharedKeys = this.x.sharedKeys;
    for (let i = 0, k = shared.length; i < k; i++) p = this.xattrEntry(p, unchecked(shared[i]), unchecked(sharedKeys[i]));
    for (let i = 0, next = firstBlock; i < n; i++) {
      const id = unchecked(bfs[i]);
      const nblocks = <u32>this.L.nblocks[id];
      if (nblocks > 0) this.dataBlocks(id, next);
      next += nblocks;
    }
    return this.buf;
  }
}

export function serializeImage(layout: Layout, version: i32): Uint8Array {
  return new ImageWriter(layout, version).write();
}
