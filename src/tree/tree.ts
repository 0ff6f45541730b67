/**
 * The in-memory composefs tree: every source (dumpfile, directory, tar, OCI, ostree commit)
 * produces it, the EROFS writer consumes it, the reader gives it back.
 *
 * Modelled on libcomposefs' `struct lcfs_node` (spec composefs-image.md §2.8, §3.3, §3.4):
 * a Node is one directory entry together with its inode. A hardlink alias is a Node whose
 * `linkTo` names the node that owns the inode; it carries no inode fields of its own.
 * Names, payloads, contents, xattr keys and values are raw bytes (Appendix A: never JS strings).
 */

import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './mode.js';

export { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK };

export const isDir = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;
export const isReg = (mode: number): boolean => (mode & S_IFMT) === S_IFREG;
export const isLnk = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;
export const isDevice = (mode: number): boolean =>
  (mode & S_IFMT) === S_IFCHR || (mode & S_IFMT) === S_IFBLK;
/** A file type the image can hold (composefs-image.md §3.5 step 4: anything else is "Invalid mode"). */
export const isValidType = (mode: number): boolean => {
  switch (mode & S_IFMT) {
    case S_IFSOCK: case S_IFLNK: case S_IFREG: case S_IFBLK:
    case S_IFDIR: case S_IFCHR: case S_IFIFO:
      return true;
    default:
      return false;
  }
};

export interface Xattr {
  key: Uint8Array;
  value: Uint8Array;
}

export class Node {
  /** Entry name in the parent directory; empty for the root. */
  name: Uint8Array;
  parent: Node | null = null;
  /** Children of a directory, in insertion order (the writer sorts them); null for non-directories. */
  children: Node[] | null = null;
  /**
   * Lookup of children by name (key: the name's bytes as latin1), built only once children stop
   * arriving in strictly increasing name order; until then lookups binary-search `children`.
   */
  private index: Map<string, Node> | null = null;
  /** Hardlink alias: this entry shares the inode of `linkTo` (composefs-image.md §3.4). */
  linkTo: Node | null = null;

  /** st_mode including the file type bits (32-bit; only the low 16 bits reach the image). */
  mode = 0;
  nlink = 1;
  uid = 0;
  gid = 0;
  rdev = 0;
  /** Signed 64-bit seconds. */
  mtimeSec = 0n;
  /** Nanoseconds (u32, not range-checked: composefs-image.md §3.3). */
  mtimeNsec = 0;
  /** st_size (u64). */
  size = 0n;
  /** Symlink target, or the backing file's path relative to the object store. */
  payload: Uint8Array | null = null;
  /** Inline file content. */
  content: Uint8Array | null = null;
  /** fs-verity SHA-256 digest (32 raw bytes) of the backing file. */
  digest: Uint8Array | null = null;
  xattrs: Xattr[] = [];

  constructor(name: Uint8Array, mode: number) {
    this.name = name;
    this.mode = mode;
    if (isDir(mode)) this.children = [];
  }

  /** The node owning the inode: follows `linkTo` (one step; the writer checks chains). */
  get target(): Node {
    return this.linkTo ?? this;
  }

  lookup(name: Uint8Array): Node | undefined {
    if (this.index) return this.index.get(nameKey(name));
    const i = this.children ? this.sortedPosition(name) : -1;
    return i >= 0 ? this.children![i] : undefined;
  }

  /** Position of `name` in the (sorted, unindexed) children, or -1. */
  private sortedPosition(name: Uint8Array): number {
    const children = this.children!;
    let lo = 0;
    let hi = children.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(children[mid].name, name);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** Adds a child; returns false when the name exists already or this is not a directory. */
  addChild(child: Node): boolean {
    const children = this.children;
    if (!children) return false;
    if (!this.index) {
      // Sorted input (dumps, walks in name order) never needs the map.
      if (children.length === 0 || compareBytes(children[children.length - 1].name, child.name) < 0) {
        children.push(child);
        child.parent = this;
        return true;
      }
      this.index = new Map();
      for (const c of children) this.index.set(nameKey(c.name), c);
    }
    const key = nameKey(child.name);
    if (this.index.has(key)) return false;
    this.index.set(key, child);
    children.push(child);
    child.parent = this;
    return true;
  }

  /** Removes the child of that name (used by layered sources for whiteouts). */
  removeChild(name: Uint8Array): Node | undefined {
    const children = this.children;
    if (!children) return undefined;
    let child: Node | undefined;
    if (this.index) {
      const key = nameKey(name);
      child = this.index.get(key);
      if (!child) return undefined;
      this.index.delete(key);
      children.splice(children.indexOf(child), 1);
    } else {
      const i = this.sortedPosition(name);
      if (i < 0) return undefined;
      child = children[i];
      children.splice(i, 1);
    }
    child.parent = null;
    return child;
  }

  /** Sets an xattr, replacing an earlier value of the same key (composefs-image.md §3.3). */
  setXattr(key: Uint8Array, value: Uint8Array): void {
    const i = this.xattrs.findIndex((x) => compareBytes(x.key, key) === 0);
    if (i >= 0) this.xattrs[i] = { key, value };
    else this.xattrs.push({ key, value });
  }

  /** Absolute path as bytes ("/" for the root). */
  path(): Uint8Array {
    const parts: Uint8Array[] = [];
    for (let n: Node | null = this; n && n.parent; n = n.parent) parts.push(n.name);
    if (parts.length === 0) return Uint8Array.of(0x2f);
    let len = 0;
    for (const p of parts) len += p.length + 1;
    const out = new Uint8Array(len);
    let off = 0;
    for (let i = parts.length - 1; i >= 0; i--) {
      out[off++] = 0x2f;
      out.set(parts[i], off);
      off += parts[i].length;
    }
    return out;
  }
}

/** Map key for a byte name: one char per byte, so Map lookups are exact on bytes. */
export function nameKey(name: Uint8Array): string {
  let s = '';
  for (let i = 0; i < name.length; i += 4096) {
    s += String.fromCharCode.apply(null, name.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

/** strcmp order on raw bytes (unsigned, shorter first on a common prefix): composefs-image.md conventions. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const al = a.length;
  const bl = b.length;
  const n = al < bl ? al : bl;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return al - bl;
}
