/**
 * What src/wasm and the Wasm modules agree on besides the image format: the hash algorithm ids of
 * build/cfskit.wasm, and for build/composefs.wasm the tree records' fixed part and flags (layout
 * in assembly/composefs/tree-records.ts) and the failure kinds of the failure record
 * (assembly/composefs/error.ts). A contract module: the Wasm side gets these values from
 * assembly/contract/abi.ts, which assembly/generate-contract.ts writes from this file
 * (docs/ARCHITECTURE.md, "The Wasm contract").
 */

/** The Wasm type of each constant (AssemblyScript names; numbers in TypeScript). */
type i32 = number;
type u32 = number;

/** fs-verity hash algorithm ids (composefs-image.md §1.4), the `alg` of the hashing exports. */
export const SHA256_ID = 1 satisfies u32;
export const SHA512_ID = 2 satisfies u32;

/** Field offsets in a tree record's fixed part (little-endian u32 fields but mtimeSec i64, size u64). */
export const RECORD = {
  parent: 0,
  linkTo: 4,
  flags: 8,
  mode: 12,
  nlink: 16,
  uid: 20,
  gid: 24,
  rdev: 28,
  mtimeNsec: 32,
  mtimeSec: 36,
  size: 44,
  nameLength: 52,
} as const;
/** Bytes of the fixed part; the name follows. */
export const RECORD_FIXED_SIZE: i32 = 56;
/** Parent index of the root's record. */
export const RECORD_NO_PARENT: u32 = 0xffffffff;
/** Record flags: the node has a children list; a 32-byte fs-verity digest follows the content. */
export const RECORD_HAS_CHILDREN: u32 = 1;
export const RECORD_HAS_DIGEST: u32 = 2;
export const RECORD_DIGEST_SIZE: i32 = 32;

/** Failure kinds: the dumpfile is invalid; the writer refused the tree. */
export const FAIL_DUMP: i32 = 1;
export const FAIL_WRITE: i32 = 2;
