/**
 * EROFS and composefs on-disk constants, in one place (spec composefs-image.md §2).
 * Shared by the writer and the reader: add, never rename or remove.
 * All on-disk integers are little-endian.
 */

/** EROFS block size and its log2 (spec conventions, §2.3 blkszbits). */
export const BLOCK_SIZE = 4096;
export const BLOCK_BITS = 12;
/** Inode slot size: nid = byte offset / 32 (spec conventions). */
export const SLOT_SIZE = 32;
export const SLOT_BITS = 5;

/* ---- composefs header at offset 0 (§2.2, struct lcfs_erofs_header_s) ---- */
export const CFS_HEADER_SIZE = 32;
export const CFS_MAGIC = 0xd078629a;
/** Image-layout version, always 1 (LCFS_EROFS_VERSION). */
export const CFS_LAYOUT_VERSION = 1;
/** Header flag: some inode carries a POSIX ACL xattr (LCFS_EROFS_FLAGS_HAS_ACL). */
export const CFS_FLAG_HAS_ACL = 1;
export const CFS_HDR = { magic: 0, version: 4, flags: 8, composefsVersion: 12 } as const;
/** Format versions the writer accepts (§2.10: LCFS_VERSION_MAX = 1) and the tool defaults. */
export const CFS_VERSION_MAX = 1;
export const CFS_DEFAULT_MIN_VERSION = 0;
export const CFS_DEFAULT_MAX_VERSION = 1;

/* ---- superblock at offset 1024 (§2.3, struct erofs_super_block) ---- */
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 128;
export const EROFS_MAGIC = 0xe0f5e1e2;
export const FEATURE_COMPAT_MTIME = 2;
export const FEATURE_COMPAT_XATTR_FILTER = 4;
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
/** First inode right after the superblock (§2.1): root nid 36 normally. */
export const INODE_TABLE_START = SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE;

/* ---- inodes (§2.4) ---- */
export const INODE_COMPACT_SIZE = 32;
export const INODE_EXTENDED_SIZE = 64;
/** i_format = (datalayout << 1) | version; version bit 0 = extended (§2.4.3). */
export const I_VERSION_EXTENDED = 1;
export const I_DATALAYOUT_SHIFT = 1;
export const I_DATALAYOUT_MASK = 0x7;
/** Data layouts (§2.4.3). */
export const LAYOUT_FLAT_PLAIN = 0;
export const LAYOUT_FLAT_INLINE = 2;
export const LAYOUT_CHUNK_BASED = 4;
/** Compact inode field offsets (§2.4.1, struct erofs_inode_compact). */
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
/** Extended inode field offsets (§2.4.2, struct erofs_inode_extended). */
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

/* ---- chunk-based files (§2.8.3) ---- */
/** Chunk bits beyond the block bits are limited to this mask (EROFS_CHUNK_FORMAT_BLKBITS_MASK). */
export const CHUNK_FORMAT_BLKBITS_MASK = 0x1f;
/** A chunk index entry meaning "hole" (EROFS_NULL_ADDR). */
export const CHUNK_NULL_ADDR = 0xffffffff;
export const CHUNK_INDEX_SIZE = 4;
/** External files may need at most this many chunks (LCFS_MAX_NONINLINE_CHUNKS, §2.11). */
export const MAX_CHUNKS = 1024;

/* ---- xattrs (§2.5, §2.6) ---- */
/** struct erofs_xattr_ibody_header: h_name_filter u32, h_shared_count u8, 7 reserved. */
export const XATTR_IBODY_HEADER_SIZE = 12;
/** struct erofs_xattr_entry: e_name_len u8, e_name_index u8, e_value_size u16. */
export const XATTR_ENTRY_SIZE = 4;
export const XATTR_ALIGN = 4;
/** At most this many shared references per inode (EROFS_XATTR_LONG_PREFIX = 0x80). */
export const XATTR_MAX_SHARED_REFS = 128;
/** Bloom filter: seed and bit count (EROFS_XATTR_FILTER_SEED / _BITS / _DEFAULT). */
export const XATTR_FILTER_SEED = 0x25bbe08f;
export const XATTR_FILTER_BITS = 32;
export const XATTR_FILTER_DEFAULT = 0xffffffff;
/** Name index values (EROFS_XATTR_INDEX_*). */
export const XATTR_INDEX_NONE = 0;
export const XATTR_INDEX_USER = 1;
export const XATTR_INDEX_POSIX_ACL_ACCESS = 2;
export const XATTR_INDEX_POSIX_ACL_DEFAULT = 3;
export const XATTR_INDEX_TRUSTED = 4;
export const XATTR_INDEX_LUSTRE = 5;
export const XATTR_INDEX_SECURITY = 6;
/**
 * The writer's prefix table, tested in this order, first match wins (§2.5
 * xattr_erofs_entry_index; the writer never uses index 5).
 */
export const WRITER_XATTR_PREFIXES: ReadonlyArray<{ prefix: string; index: number }> = [
  { prefix: 'user.', index: XATTR_INDEX_USER },
  { prefix: 'system.posix_acl_access', index: XATTR_INDEX_POSIX_ACL_ACCESS },
  { prefix: 'system.posix_acl_default', index: XATTR_INDEX_POSIX_ACL_DEFAULT },
  { prefix: 'trusted.', index: XATTR_INDEX_TRUSTED },
  { prefix: 'security.', index: XATTR_INDEX_SECURITY },
];
/** The reader's prefix table by index (§2.12, erofs_xattr_prefixes). */
export const READER_XATTR_PREFIXES: ReadonlyArray<string> = [
  '',
  'user.',
  'system.posix_acl_access',
  'system.posix_acl_default',
  'trusted.',
  'lustre.',
  'security.',
];
export const XATTR_POSIX_ACL_ACCESS = 'system.posix_acl_access';
export const XATTR_POSIX_ACL_DEFAULT = 'system.posix_acl_default';
export const XATTR_SELINUX = 'security.selinux';

/* ---- overlayfs xattrs composefs writes (§2.8.3, §2.9 P2/P3, §2.12) ---- */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
export const OVERLAY_XATTR_ESCAPE_PREFIX = 'trusted.overlay.overlay.';
export const OVERLAY_XATTR_USER_PREFIX = 'user.overlay.';
export const OVERLAY_XATTR_METACOPY = 'trusted.overlay.metacopy';
export const OVERLAY_XATTR_REDIRECT = 'trusted.overlay.redirect';
export const OVERLAY_XATTR_OPAQUE = 'trusted.overlay.opaque';
export const OVERLAY_XATTR_ESCAPED_WHITEOUT = 'trusted.overlay.overlay.whiteout';
export const OVERLAY_XATTR_ESCAPED_WHITEOUTS = 'trusted.overlay.overlay.whiteouts';
export const OVERLAY_XATTR_ESCAPED_OPAQUE = 'trusted.overlay.overlay.opaque';
export const OVERLAY_XATTR_USERXATTR_WHITEOUT = 'user.overlay.whiteout';
export const OVERLAY_XATTR_USERXATTR_WHITEOUTS = 'user.overlay.whiteouts';
export const OVERLAY_XATTR_USERXATTR_OPAQUE = 'user.overlay.opaque';
/** Metacopy value header: version 0, length 36, flags 0, hash algorithm 1 = SHA-256 (§2.8.3). */
export const METACOPY_HEADER = [0, 36, 0, 1] as const;
export const METACOPY_SIZE = 36;

/* ---- directories (§2.7) ---- */
/** struct erofs_dirent: nid u64, nameoff u16, file_type u8, reserved u8. */
export const DIRENT_SIZE = 12;
/** A directory tail larger than this goes to a full block (also for inline file tails, §2.8.2). */
export const MAX_INLINE_TAIL = BLOCK_SIZE / 2;
/** EROFS_FT_* file types in dirents. */
export const FT_UNKNOWN = 0;
export const FT_REG_FILE = 1;
export const FT_DIR = 2;
export const FT_CHRDEV = 3;
export const FT_BLKDEV = 4;
export const FT_FIFO = 5;
export const FT_SOCK = 6;
export const FT_SYMLINK = 7;

/* ---- limits (§2.11) ---- */
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
/** Whiteout stubs 00..ff added to the root (§2.9 P3): char device, mode 020644, rdev 0. */
export const WHITEOUT_STUB_MODE = 0o020644;
