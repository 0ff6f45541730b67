/**
 * EROFS and composefs on-disk constants the Wasm writer uses (spec composefs-image.md §2), the
 * same values as src/composefs/erofs/format.ts. All on-disk integers are little-endian.
 */

/** EROFS block size and its log2 (composefs-image.md §2.3 blkszbits). */
export const BLOCK_SIZE: i32 = 4096;
export const BLOCK_BITS: i32 = 12;
/** Inode slot size: nid = byte offset / 32 (composefs-image.md conventions). */
export const SLOT_SIZE: i32 = 32;

/* ---- composefs header at offset 0 (composefs-image.md §2.2) ---- */
export const CFS_MAGIC: u32 = 0xd078629a;
/** Image-layout version, always 1 (LCFS_EROFS_VERSION). */
export const CFS_LAYOUT_VERSION: u32 = 1;
/** Header flag: some inode carries a POSIX ACL xattr (LCFS_EROFS_FLAGS_HAS_ACL). */
export const CFS_FLAG_HAS_ACL: u32 = 1;
export const CFS_HDR_MAGIC: i32 = 0;
export const CFS_HDR_VERSION: i32 = 4;
export const CFS_HDR_FLAGS: i32 = 8;
export const CFS_HDR_COMPOSEFS_VERSION: i32 = 12;
/** Format versions the writer accepts (composefs-image.md §2.10: LCFS_VERSION_MAX = 1). */
export const CFS_VERSION_MAX: i32 = 1;

/* ---- superblock at offset 1024 (composefs-image.md §2.3) ---- */
export const SUPERBLOCK_OFFSET: i32 = 1024;
export const SUPERBLOCK_SIZE: i32 = 128;
export const EROFS_MAGIC: u32 = 0xe0f5e1e2;
export const FEATURE_COMPAT_MTIME: u32 = 2;
export const FEATURE_COMPAT_XATTR_FILTER: u32 = 4;
/** Field offsets inside the superblock. */
export const SB_MAGIC: i32 = 0x00;
export const SB_FEATURE_COMPAT: i32 = 0x08;
export const SB_BLKSZBITS: i32 = 0x0c;
export const SB_ROOT_NID: i32 = 0x0e;
export const SB_INOS: i32 = 0x10;
export const SB_BUILD_TIME: i32 = 0x18;
export const SB_BUILD_TIME_NSEC: i32 = 0x20;
export const SB_BLOCKS: i32 = 0x24;
export const SB_META_BLKADDR: i32 = 0x28;
export const SB_XATTR_BLKADDR: i32 = 0x2c;
/** First inode right after the superblock (composefs-image.md §2.1): root nid 36 normally. */
export const INODE_TABLE_START: i32 = SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE;

/* ---- inodes (composefs-image.md §2.4) ---- */
export const INODE_COMPACT_SIZE: i32 = 32;
export const INODE_EXTENDED_SIZE: i32 = 64;
/** i_format = (datalayout << 1) | version; version bit 0 = extended (composefs-image.md §2.4.3). */
export const I_VERSION_EXTENDED: u32 = 1;
export const I_DATALAYOUT_SHIFT: u32 = 1;
/** Data layouts (composefs-image.md §2.4.3). */
export const LAYOUT_FLAT_PLAIN: u32 = 0;
export const LAYOUT_FLAT_INLINE: u32 = 2;
export const LAYOUT_CHUNK_BASED: u32 = 4;
/** Compact inode field offsets (composefs-image.md §2.4.1). */
export const IC_FORMAT: i32 = 0x00;
export const IC_XATTR_ICOUNT: i32 = 0x02;
export const IC_MODE: i32 = 0x04;
export const IC_NLINK: i32 = 0x06;
export const IC_SIZE: i32 = 0x08;
export const IC_U: i32 = 0x10;
export const IC_INO: i32 = 0x14;
export const IC_UID: i32 = 0x18;
export const IC_GID: i32 = 0x1a;
/** Extended inode field offsets (composefs-image.md §2.4.2). */
export const IE_FORMAT: i32 = 0x00;
export const IE_XATTR_ICOUNT: i32 = 0x02;
export const IE_MODE: i32 = 0x04;
export const IE_SIZE: i32 = 0x08;
export const IE_U: i32 = 0x10;
export const IE_INO: i32 = 0x14;
export const IE_UID: i32 = 0x18;
export const IE_GID: i32 = 0x1c;
export const IE_MTIME: i32 = 0x20;
export const IE_MTIME_NSEC: i32 = 0x28;
export const IE_NLINK: i32 = 0x2c;

/* ---- chunk-based files (composefs-image.md §2.8.3) ---- */
/** Chunk bits beyond the block bits are limited to this mask (EROFS_CHUNK_FORMAT_BLKBITS_MASK). */
export const CHUNK_FORMAT_BLKBITS_MASK: i32 = 0x1f;
export const CHUNK_INDEX_SIZE: i32 = 4;
/** External files may need at most this many chunks (LCFS_MAX_NONINLINE_CHUNKS, composefs-image.md §2.11). */
export const MAX_CHUNKS: i32 = 1024;

/* ---- xattrs (composefs-image.md §2.5, §2.6) ---- */
/** struct erofs_xattr_ibody_header: h_name_filter u32, h_shared_count u8, 7 reserved. */
export const XATTR_IBODY_HEADER_SIZE: i32 = 12;
/** struct erofs_xattr_entry: e_name_len u8, e_name_index u8, e_value_size u16. */
export const XATTR_ENTRY_SIZE: i32 = 4;
export const XATTR_ALIGN: i32 = 4;
/** At most this many shared references per inode (EROFS_XATTR_LONG_PREFIX = 0x80). */
export const XATTR_MAX_SHARED_REFS: i32 = 128;
/** Bloom filter: seed and bit count (EROFS_XATTR_FILTER_SEED / _BITS / _DEFAULT). */
export const XATTR_FILTER_SEED: u32 = 0x25bbe08f;
export const XATTR_FILTER_BITS: u32 = 32;
export const XATTR_FILTER_DEFAULT: u32 = 0xffffffff;
/** Name index values (EROFS_XATTR_INDEX_*). */
export const XATTR_INDEX_NONE: u8 = 0;
export const XATTR_INDEX_USER: u8 = 1;
export const XATTR_INDEX_POSIX_ACL_ACCESS: u8 = 2;
export const XATTR_INDEX_POSIX_ACL_DEFAULT: u8 = 3;
export const XATTR_INDEX_TRUSTED: u8 = 4;
export const XATTR_INDEX_SECURITY: u8 = 6;
/** The writer's prefix table, tested in this order, first match wins (composefs-image.md §2.5; never index 5). */
export const WRITER_XATTR_PREFIXES: StaticArray<string> = [
  'user.',
  'system.posix_acl_access',
  'system.posix_acl_default',
  'trusted.',
  'security.',
];
export const WRITER_XATTR_INDEXES: StaticArray<u8> = [
  XATTR_INDEX_USER,
  XATTR_INDEX_POSIX_ACL_ACCESS,
  XATTR_INDEX_POSIX_ACL_DEFAULT,
  XATTR_INDEX_TRUSTED,
  XATTR_INDEX_SECURITY,
];
export const XATTR_POSIX_ACL_ACCESS = 'system.posix_acl_access';
export const XATTR_POSIX_ACL_DEFAULT = 'system.posix_acl_default';
export const XATTR_SELINUX = 'security.selinux';

/* ---- overlayfs xattrs composefs writes (composefs-image.md §2.8.3, §2.9 P2/P3) ---- */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
export const OVERLAY_XATTR_ESCAPE_PREFIX = 'trusted.overlay.overlay.';
export const OVERLAY_XATTR_METACOPY = 'trusted.overlay.metacopy';
export const OVERLAY_XATTR_REDIRECT = 'trusted.overlay.redirect';
export const OVERLAY_XATTR_OPAQUE = 'trusted.overlay.opaque';
export const OVERLAY_XATTR_ESCAPED_WHITEOUT = 'trusted.overlay.overlay.whiteout';
export const OVERLAY_XATTR_ESCAPED_WHITEOUTS = 'trusted.overlay.overlay.whiteouts';
export const OVERLAY_XATTR_ESCAPED_OPAQUE = 'trusted.overlay.overlay.opaque';
export const OVERLAY_XATTR_USERXATTR_WHITEOUT = 'user.overlay.whiteout';
export const OVERLAY_XATTR_USERXATTR_WHITEOUTS = 'user.overlay.whiteouts';
export const OVERLAY_XATTR_USERXATTR_OPAQUE = 'user.overlay.opaque';
/** Metacopy value: header (version 0, length 36, flags 0, hash algorithm 1 = SHA-256), then the digest (composefs-image.md §2.8.3). */
export const METACOPY_HEADER: u32 = 0x01002400;
export const METACOPY_HEADER_SIZE: i32 = 4;
export const METACOPY_SIZE: i32 = 36;

/* ---- directories (composefs-image.md §2.7) ---- */
/** struct erofs_dirent: nid u64, nameoff u16, file_type u8, reserved u8. */
export const DIRENT_SIZE: i32 = 12;
/** A directory tail larger than this goes to a full block (also for inline file tails, composefs-image.md §2.8.2). */
export const MAX_INLINE_TAIL: i32 = BLOCK_SIZE / 2;
/** EROFS_FT_* file types in dirents. */
export const FT_UNKNOWN: u8 = 0;
export const FT_REG_FILE: u8 = 1;
export const FT_DIR: u8 = 2;
export const FT_CHRDEV: u8 = 3;
export const FT_BLKDEV: u8 = 4;
export const FT_FIFO: u8 = 5;
export const FT_SOCK: u8 = 6;
export const FT_SYMLINK: u8 = 7;

/* ---- limits (composefs-image.md §2.11): the xattr limits are in ../xattr-budget.ts ---- */
/** Whiteout stubs 00..ff added to the root (composefs-image.md §2.9 P3): char device, mode 020644, rdev 0. */
export const WHITEOUT_STUB_MODE: u32 = 0o020644;
