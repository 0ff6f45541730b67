/**
 * What src/wasm and build/composefs.wasm agree on besides the image format: the tree records'
 * fixed part and flags (layout in assembly/composefs/tree-records.ts) and the failure kinds of
 * the failure record (assembly/composefs/error.ts). A contract module: the Wasm builder gets these
 * values from assembly/composefs/contract.ts, which assembly/generate-contract.ts writes from
 * this file (docs/ARCHITECTURE.md, "The Wasm contract").
 */

/** The Wasm type of each constant (AssemblyScript names; numbers in TypeScript). */
type i32 = number;
type u32 = number;

/** Bytes of a tree record before its name: 9 u32 fields, i64 mtimeSec, u64 size, u32 name length. */
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
