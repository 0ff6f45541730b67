/**
 * EROFS and composefs on-disk facts, in one place (spec composefs-image.md §2): the reader's, the
 * dumpfile parser's and the Wasm writer's. A contract module: assembly/generate-contract.ts writes
 * the same constants into assembly/contract/erofs.ts for the Wasm builder (an `as const`
 * object of offsets becomes one `NAME_FIELD` constant per field; docs/ARCHITECTURE.md, "The Wasm
 * contract"). All on-disk integers are little-endian.
 */

/** The Wasm type of each constant (AssemblyScript names; numbers in TypeScript). */
type i32 = number;
type u32 = number;
type u8 = number;

/** EROFS block size and its log2 (composefs-image.md §2.3 blkszbits). */
export const BLOCK_SIZE: i32 = 4096;
export const BLOCK_BITS: i32 = 12;
/** Inode slot size: nid = byte offset / 32 (composefs-image.md conventions). */
export const SLOT_SIZE: i32 = 32;

/* ---- composefs header at offset 0 (composefs-image.md §2.2, struct lcfs_erofs_header_s) ---- */
export const CFS_MAGIC: u32 = 0xd078629a;
/** Image-layout version, always 1 (LCFS_EROFS_VERSION). */
export const CFS_LAYOUT_VERSION: u32 = 1;
/** Header flag: some inode carries a POSIX ACL xattr (LCFS_EROFS_FLAGS_HAS_ACL). */
export const CFS_FLAG_HAS_ACL: u32 = 1;
/** Header field offsets. */
export const CFS_HDR = { magic: 0, version: 4, flags: 8, composefsVersion: 12 } as const;
/** The tool's default format versions (composefs-image.md §2.10). */
export const CFS_DEFAULT_MIN_VERSION: i32 = 0;
export const CFS_DEFAULT_MAX_VERSION: i32 = 1;
/** Format versions the writer accepts (composefs-image.md §2.10: LCFS_VERSION_MAX = 1). */
export const CFS_VERSION_MAX: i32 = 1;

/* ---- superblock at offset 1024 (composefs-image.md §2.3, struct erofs_super_block) ---- */
export const SUPERBLOCK_OFFSET: i32 = 1024;
export const SUPERBLOCK_SIZE: i32 = 128;
export const EROFS_MAGIC: u32 = 0xe0f5e1e2;
export const FEATURE_COMPAT_MTIME: u32 = 2;
export const FEATURE_COMPAT_XATTR_FILTER: u32 = 4;
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
/** First inode right after the superblock (composefs-image.md §2.1): root nid 36 normally. */
export const INODE_TABLE_START: i32 = SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE;

/* ---- inodes (composefs-image.md §2.4) ---- */
export const INODE_COMPACT_SIZE: i32 = 32;
export const INODE_EXTENDED_SIZE: i32 = 64;
/** i_format = (datalayout << 1) | version; version bit 0 = extended (composefs-image.md §2.4.3). */
export const I_VERSION_EXTENDED: u32 = 1;
export const I_DATALAYOUT_SHIFT: u32 = 1;
export const I_DATALAYOUT_MASK: u32 = 0x7;
/** Data layouts (composefs-image.md §2.4.3). */
export const LAYOUT_FLAT_PLAIN: u32 = 0;
export const LAYOUT_FLAT_INLINE: u32 = 2;
export const LAYOUT_CHUNK_BASED: u32 = 4;
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
export const XATTR_POSIX_ACL_ACCESS: string = 'system.posix_acl_access';
export const XATTR_POSIX_ACL_DEFAULT: string = 'system.posix_acl_default';
export const XATTR_SELINUX: string = 'security.selinux';
/** The prefix of each name index, as the reader expands it (composefs-image.md §2.12, erofs_xattr_prefixes). */
export const XATTR_PREFIXES: ReadonlyArray<string> = [
  '',
  'user.',
  XATTR_POSIX_ACL_ACCESS,
  XATTR_POSIX_ACL_DEFAULT,
  'trusted.',
  'lustre.',
  'security.',
];
/** The indexes the writer tries, in this order, first match wins (composefs-image.md §2.5; never index 5). */
export const WRITER_XATTR_INDEXES: ReadonlyArray<u8> = [
  XATTR_INDEX_USER,
  XATTR_INDEX_POSIX_ACL_ACCESS,
  XATTR_INDEX_POSIX_ACL_DEFAULT,
  XATTR_INDEX_TRUSTED,
  XATTR_INDEX_SECURITY,
];

/* ---- overlayfs xattrs composefs writes (composefs-image.md §2.8.3, §2.9 P2/P3, §2.12) ---- */
export const OVERLAY_XATTR_PREFIX: string = 'trusted.overlay.';
export const OVERLAY_XATTR_ESCAPE_PREFIX: string = 'trusted.overlay.overlay.';
export const OVERLAY_XATTR_METACOPY: string = 'trusted.overlay.metacopy';
export const OVERLAY_XATTR_REDIRECT: string = 'trusted.overlay.redirect';
export const OVERLAY_XATTR_OPAQUE: string = 'trusted.overlay.opaque';
export const OVERLAY_XATTR_ESCAPED_WHITEOUT: string = 'trusted.overlay.overlay.whiteout';
export const OVERLAY_XATTR_ESCAPED_WHITEOUTS: string = 'trusted.overlay.overlay.whiteouts';
export const OVERLAY_XATTR_ESCAPED_OPAQUE: string = 'trusted.overlay.overlay.opaque';
export const OVERLAY_XATTR_USERXATTR_WHITEOUT: string = 'user.overlay.whiteout';
export const OVERLAY_XATTR_USERXATTR_WHITEOUTS: string = 'user.overlay.whiteouts';
export const OVERLAY_XATTR_USERXATTR_OPAQUE: string = 'user.overlay.opaque';
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

/* ---- limits (composefs-image.md §2.11) ---- */
export const MAX_NAME_LENGTH: i32 = 255;
/** Inline content limit (LCFS_INLINE_CONTENT_MAX). */
export const INLINE_CONTENT_MAX: i32 = 5000;
/** Symlink targets and payloads must be shorter than PATH_MAX. */
export const PATH_MAX: i32 = 4096;
/** A dumpfile line's xattr text longer than this is "Too many xattrs" (composefs-image.md §3.5 step 13). */
export const DUMP_XATTR_TEXT_MAX: i32 = 65535;
/** Whiteout stubs 00..ff added to the root (composefs-image.md §2.9 P3): char device, mode 020644, rdev 0. */
export const WHITEOUT_STUB_MODE: u32 = 0o020644;

/* ---- the per-node xattr budget (composefs-image.md §2.11, lcfs_node_set_xattr) ---- */
/** Longest xattr name and value (XATTR_NAME_MAX, XATTR_SIZE_MAX). */
export const XATTR_NAME_MAX: i32 = 255;
export const XATTR_VALUE_MAX: i32 = 65535;
/** Per-node xattr budget while adding (LCFS_INODE_EXTERNAL_XATTR_MAX = UINT16_MAX / 2). */
export const XATTR_BUDGET_MAX: i32 = 32767;
/** Budget accounting: 2 * LCFS_INODE_XATTRMETA_SIZE - 1 per entry, 12 for the first. */
export const XATTR_BUDGET_ENTRY_OVERHEAD: i32 = 7;
export const XATTR_BUDGET_HEADER: i32 = 12;
/** What `budgetAfterSet` returns when C refuses the xattr. */
export const BUDGET_REFUSED: i32 = -1;

/**
 * The budget libcomposefs keeps while xattrs are added: each entry costs 7 + len(key) +
 * len(value), the first one 12 more, and the running total must stay <= 32767. Replacing a key
 * first takes the old entry off (or resets the total when it was the only xattr). The C total is
 * a size_t: taking an entry off a total that is smaller (the writer's working copy starts at 0)
 * wraps around, and the following check then fails with ERANGE ("Numerical result out of
 * range"); a negative sum models that wrap.
 *
 * Returns the total after setting one xattr, or BUDGET_REFUSED (key empty or longer than 255
 * bytes, value longer than 65535 bytes, or the budget exceeded). `count` is the node's xattr
 * count before the call; `oldValueLength` the length of the value being replaced, or -1 when the
 * key is new.
 */
export function budgetAfterSet(total: i32, count: i32, keyLength: i32, valueLength: i32, oldValueLength: i32): i32 {
  if (keyLength === 0 || keyLength > XATTR_NAME_MAX || valueLength > XATTR_VALUE_MAX) return BUDGET_REFUSED;
  let t = total;
  let n = count;
  if (oldValueLength >= 0) {
    n -= 1;
    t = n > 0 ? t - (XATTR_BUDGET_ENTRY_OVERHEAD + keyLength + oldValueLength) : 0;
  }
  let entry = XATTR_BUDGET_ENTRY_OVERHEAD + keyLength + valueLength;
  if (n === 0) entry += XATTR_BUDGET_HEADER;
  const sum = t + entry;
  return sum < 0 || sum > XATTR_BUDGET_MAX ? BUDGET_REFUSED : sum;
}
