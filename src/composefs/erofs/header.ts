/**
 * The composefs header (composefs-image.md §2.2) and the EROFS superblock (composefs-image.md §2.3)
 * of an image, validated as composefs-image.md §2.12 "Validation" says: what the reader and the
 * scanner start from.
 */
import { ImageBytes } from './bounds.js';
import { BLOCK_SIZE, CFS_HDR, CFS_LAYOUT_VERSION, CFS_MAGIC, EROFS_MAGIC, SB, SUPERBLOCK_OFFSET } from '../../formats/erofs.js';

/** The header and superblock fields a caller may want without loading the tree. */
export interface ImageHeader {
  /** Header flags (bit 0: HAS_ACL, composefs-image.md §2.2). */
  flags: number;
  /** The effective format version 0 or 1 the image was written with (composefs-image.md §2.10). */
  composefsVersion: number;
  rootNid: number;
  /** Inode count from the superblock (includes the 256 whiteout stubs). */
  inodes: bigint;
  blocks: number;
  /** Image-wide minimum mtime, used by compact inodes (composefs-image.md §2.4.1). */
  buildTimeSec: bigint;
  buildTimeNsec: number;
  metaBlkaddr: number;
  xattrBlkaddr: number;
}

/** Validates the composefs header and the EROFS superblock (composefs-image.md §2.12 "Validation"). */
export function readImageHeader(bytes: Uint8Array, opts: { file?: string } = {}): ImageHeader {
  return imageHeader(new ImageBytes(bytes, opts.file));
}

export function imageHeader(img: ImageBytes): ImageHeader {
  if (img.length < BLOCK_SIZE) img.fail(`image is ${img.length} bytes, shorter than one block (${BLOCK_SIZE})`, 0, 'size');
  if (img.u32(CFS_HDR.magic, 'header.magic') !== CFS_MAGIC) img.fail('not a composefs image (bad magic)', 0, 'header.magic');
  const version = img.u32(CFS_HDR.version, 'header.version');
  if (version !== CFS_LAYOUT_VERSION) img.fail(`unsupported composefs image version ${version}`, CFS_HDR.version, 'header.version');
  const sb = SUPERBLOCK_OFFSET;
  if (img.u32(sb + SB.magic, 'superblock.magic') !== EROFS_MAGIC) img.fail('no EROFS superblock (bad magic)', sb, 'superblock.magic');
  const metaBlkaddr = img.u32(sb + SB.metaBlkaddr, 'superblock.meta_blkaddr');
  if (metaBlkaddr * BLOCK_SIZE >= img.length) img.fail('metadata block outside the image', sb + SB.metaBlkaddr, 'superblock.meta_blkaddr');
  const xattrBlkaddr = img.u32(sb + SB.xattrBlkaddr, 'superblock.xattr_blkaddr');
  if (xattrBlkaddr * BLOCK_SIZE >= img.length) img.fail('shared xattr block outside the image', sb + SB.xattrBlkaddr, 'superblock.xattr_blkaddr');
  return {
    flags: img.u32(CFS_HDR.flags, 'header.flags'),
    composefsVersion: img.u32(CFS_HDR.composefsVersion, 'header.composefs_version'),
    rootNid: img.u16(sb + SB.rootNid, 'superblock.root_nid'),
    inodes: img.u64(sb + SB.inos, 'superblock.inos'),
    blocks: img.u32(sb + SB.blocks, 'superblock.blocks'),
    buildTimeSec: BigInt.asIntN(64, img.u64(sb + SB.buildTime, 'superblock.build_time')),
    buildTimeNsec: img.u32(sb + SB.buildTimeNsec, 'superblock.build_time_nsec'),
    metaBlkaddr,
    xattrBlkaddr,
  };
}
