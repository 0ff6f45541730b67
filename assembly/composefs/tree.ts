/**
 * The composefs tree inside the Wasm builder: the dumpfile parser (dumpfile.ts) builds it, the
 * EROFS writer (writer/) reads it. A port of src/tree/tree.ts's Node (libcomposefs'
 * `struct lcfs_node`, spec composefs-image.md §2.8, §3.3, §3.4): one Node is a directory entry
 * with its inode; a hardlink alias has `linkTo` set and no inode fields of its own. Names,
 * payloads, contents, xattr keys and values are raw bytes. One Wasm instance serves one build
 * (stub runtime: nothing is freed), so nodes are plain managed objects.
 */

import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../contract/mode';

// @ts-ignore: decorator
@inline export function isDir(mode: u32): bool { return (mode & S_IFMT) == S_IFDIR; }
// @ts-ignore: decorator
@inline export function isReg(mode: u32): bool { return (mode & S_IFMT) == S_IFREG; }
// @ts-ignore: decorator
@inline export function isLnk(mode: u32): bool { return (mode & S_IFMT) == S_IFLNK; }

// @ts-ignore: decorator
@inline export function isDevice(mode: u32): bool {
  const t = mode & S_IFMT;
  return t == S_IFCHR || t == S_IFBLK;
}
/** A file type the image can hold (composefs-image.md §3.5 step 4: anything else is "Invalid mode"). */
export function isValidType(mode: u32): bool {
  const t = mode & S_IFMT;
  return t == S_IFSOCK || t == S_IFLNK || t == S_IFREG || t == S_IFBLK || t == S_IFDIR || t == S_IFCHR || t == S_IFIFO;
}

export class Xattr {
  constructor(public key: Uint8Array, public value: Uint8Array) {}
}

/** The xattr list of every node without xattrs (one allocation instead of one per node). */
export const NO_XATTRS: Array<Xattr> = [];

export class Node {
  // The 64-bit fields first: no alignment padding (96 bytes a node with the runtime header, not 112).
  mtimeSec: i64 = 0;
  size: u64 = 0;
  /** Entry name in the parent directory; empty for the root. */
  name: Uint8Array;
  parent: Node | null = null;
  /** Children of a directory in insertion order (the writer sorts them); null otherwise. */
  children: Array<Node> | null = null;
  /** Hardlink alias: this entry shares the inode of `linkTo` (composefs-image.md §3.4). */
  linkTo: Node | null = null;
  /** st_mode including the file type bits. */
  mode: u32;
  nlink: u32 = 1;
  uid: u32 = 0;
  gid: u32 = 0;
  rdev: u32 = 0;
  /** Nanoseconds of mtimeSec (not range-checked: composefs-image.md §3.3). */
  mtimeNsec: u32 = 0;
  /** Symlink target, or the backing file's path relative to the object store. */
  payload: Uint8Array | null = null;
  /** Inline file content. */
  content: Uint8Array | null = null;
  /** fs-verity SHA-256 digest (32 raw bytes) of the backing file. */
  digest: Uint8Array | null = null;
  /** Shared NO_XATTRS until the node gets one: assign a new array, never push to NO_XATTRS. */
  xattrs: Array<Xattr> = NO_XATTRS;

  constructor(name: Uint8Array, mode: u32) {
    this.name = name;
    this.mode = mode;
    if (isDir(mode)) this.children = [];
  }

  /** The node owning the inode. */
  get target(): Node {
    const l = this.linkTo;
    return l ? l : this;
  }
}

/** strcmp order on raw bytes (unsigned, shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): i32 {
  return compareMemory(a.dataStart, a.length, b.dataStart, b.length);
}

/** Equal bytes, equal lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): bool {
  return a.length == b.length && equalMemory(a.dataStart, b.dataStart, a.length);
}

/** The `len` bytes at `a` and `b` are equal. */
export function equalMemory(a: usize, b: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < len; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** compareBytes on the `al` bytes at `pa` and the `bl` bytes at `pb`. */
export function compareMemory(pa: usize, al: i32, pb: usize, bl: i32): i32 {
  const n = al < bl ? al : bl;
  let i = 0;
  // 8 bytes at a time up to the first difference.
  while (i + 8 <= n && load<u64>(pa + i) == load<u64>(pb + i)) i += 8;
  for (; i < n; i++) {
    const d = <i32>load<u8>(pa + i) - <i32>load<u8>(pb + i);
    if (d != 0) return d;
  }
  return al - bl;
}
