/**
 * EROFS and composefs on-disk constants, in one place (spec composefs-image.md §2).
 * The reader's and the dumpfile parser's; the Wasm writer has its own copy
 * (assembly/composefs/writer/format.ts), which its tests check against the vectors.
 * All on-disk integers are little-endian.
 */

/** EROFS block size (composefs-image.md §2.3 blkszbits). */
export const BLOCK_SIZE = 4096;
/** Inode slot size: nid = byte offset / 32 (composefs-image.md conventions). */
export const SLOT_SIZE = 32;

/* ---- composefs header at offset 0 (composefs-image.md §2.2, struct lcfs_erofs_header_s) ---- */
export const CFS_MAGIC = 0xd078629a;
/** Image-layout version, always 1 (LCFS_EROFS_VERSION). */
export const CFS_LAYOUT_VERSION = 1;
/** Header field offsets. */
export const CFS_HDR = { magic: 0, version: 4, flags: 8, composefsVersion: 12 } as const;
/** The tool's default format versions (composefs-image.md §2.10). */
export const CFS_DEFAULT_MIN_VERSION = 0;
export const CFS_DEFAULT_MAX_VERSION = 1;

/* ---- superblock at offset 1024 (composefs-image.md §2.3, struct erofs_super_block) ---- */
export const SUPERBLOCK_OFFSET = 1024;
export const EROFS_MAGIC = 0xe0f5e1e2;
/** Field offsets inside the superblock. */
export const SB = {
  magic: 0x00,
  checksum: 0x04,
  featureCompat: 0x08,
  blkszbits: 0x0c,
  sbExtslots: 0x0d,
  rootNid: 0x0e,
  inos: 0x10,
  buildTime: 0x18,
  buildTimeNsec: 0x20,
  blocks: 0x24,
  metaBlkaddr: 0x28,
  xattrBlkaddr: 0x2c,
  uuid: 0x30,
  volumeName: 0x40,
  featureIncompat: 0x50,
  extraDevices: 0x56,
  devtSlotoff: 0x58,
  dirblkbits: 0x5a,
  xattrPrefixCount: 0x5b,
  xattrPrefixStart: 0x5c,
  packedNid: 0x60,
} as const;

/* ---- inodes (composefs-image.md §2.4) ---- */
export const INODE_COMPACT_SIZE = 32;
export const INODE_EXTENDED_SIZE = 64;
/** i_format = (datalayout << 1) | version; version bit 0 = extended (composefs-image.md §2.4.3). */
export const I_VERSION_EXTENDED = 1;
export const I_DATALAYOUT_SHIFT = 1;
export const I_DATALAYOUT_MASK = 0x7;
/** Data layouts (composefs-image.md §2.4.3). */
export const LAYOUT_FLAT_PLAIN = 0;
export const LAYOUT_FLAT_INLINE = 2;
export const LAYOUT_CHUNK_BASED = 4;
/** Compact inode field offsets (composefs-image.md §2.4.1, struct erofs_inode_compact). */
export const IC = {
  format: 0x00,
  xattrIcount: 0x02,
  mode: 0x04,
  nlink: 0x06,
  size: 0x08,
  u: 0x10,
  ino: 0x14,
  uid: 0x18,
  gid: 0x1a,
} as const;
/** Extended inode field offsets (composefs-image.md §2.4.2, struct erofs_inode_extended). */
export const IE = {
  format: 0x00,
  xattrIcount: 0x02,
  mode: 0x04,
  size: 0x08,
  u: 0x10,
  ino: 0x14,
  uid: 0x18,
  gid: 0x1c,
  mtime: 0x20,
  mtimeNsec: 0x28,
  nlink: 0x2c,
} as const;

/* ---- xattrs (composefs-image.md §2.5, §2.6) ---- */
/** struct erofs_xattr_ibody_header: h_name_filter u32, h_shared_count u8, 7 reserved. */
export const XATTR_IBODY_HEADER_SIZE = 12;
/** struct erofs_xattr_entry: e_name_len u8, e_name_index u8, e_value_size u16. */
export const XATTR_ENTRY_SIZE = 4;
/** The reader's prefix table by index (composefs-image.md §2.12, erofs_xattr_prefixes). */
export const READER_XATTR_PREFIXES: ReadonlyArray<string> = [
  '',
  'user.',
  'system.posix_acl_access',
  'system.posix_acl_default',
  'trusted.',
  'lustre.',
  'security.',
];

/* ---- overlayfs xattrs composefs writes (composefs-image.md §2.8.3, §2.9 P2/P3, §2.12) ---- */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
export const OVERLAY_XATTR_ESCAPE_PREFIX = 'trusted.overlay.overlay.';
export const OVERLAY_XATTR_METACOPY = 'trusted.overlay.metacopy';
export const OVERLAY_XATTR_REDIRECT = 'trusted.overlay.redirect';
export const OVERLAY_XATTR_ESCAPED_WHITEOUT = 'trusted.overlay.overlay.whiteout';
export const OVERLAY_XATTR_ESCAPED_WHITEOUTS = 'trusted.overlay.overlay.whiteouts';
export const OVERLAY_XATTR_USERXATTR_WHITEOUT = 'user.overlay.whiteout';
export const OVERLAY_XATTR_USERXATTR_WHITEOUTS = 'user.overlay.whiteouts';
/** Metacopy value: a 4-byte header (version 0, length 36, flags 0, algorithm 1 = SHA-256) and the digest (composefs-image.md §2.8.3). */
export const METACOPY_SIZE = 36;

/* ---- directories (composefs-image.md §2.7) ---- */
/** struct erofs_dirent: nid u64, nameoff u16, file_type u8, reserved u8. */
export const DIRENT_SIZE = 12;

/* ---- limits (composefs-image.md §2.11) ---- */
export const MAX_NAME_LENGTH = 255;
export const XATTR_NAME_MAX = 255;
export const XATTR_VALUE_MAX = 65535;
/** Per-node xattr budget while adding (LCFS_INODE_EXTERNAL_XATTR_MAX = UINT16_MAX / 2). */
export const XATTR_BUDGET_MAX = 32767;
/** Budget accounting: 2 * LCFS_INODE_XATTRMETA_SIZE - 1 per entry, 12 for the first. */
export const XATTR_BUDGET_ENTRY_OVERHEAD = 7;
export const XATTR_BUDGET_HEADER = 12;
/** Inline content limit (LCFS_INLINE_CONTENT_MAX). */
export const INLINE_CONTENT_MAX = 5000;
/** Symlink targets and payloads must be shorter than PATH_MAX. */
export const PATH_MAX = 4096;
