/**
 * The writer's working inodes: libcomposefs writes from a deep clone of the caller's tree
 * (spec composefs-image.md §2.9 P1). The clone is a set
 * of columns indexed by a writer inode id (ids in creation order, the 00..ff whiteout stubs
 * last), sized once from a survey of the tree. P1 copies the inode fields of each Node here and
 * P2 changes them (mode, flags, size, xattrs): later passes read these columns, and the Node only
 * for the bytes of symlink targets and inline content. Directory entries live in one arena
 * (`dirent*`), each directory a range of it.
 */
import { fail } from '../error';
import { isDir, isLnk, isReg, Node } from '../tree';
import { decodeText } from './bytes';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../../contract/mode';
import {
  FT_BLKDEV,
  FT_CHRDEV,
  FT_DIR,
  FT_FIFO,
  FT_REG_FILE,
  FT_SOCK,
  FT_SYMLINK,
  FT_UNKNOWN,
} from '../../contract/erofs';
import { FAIL_WRITE } from '../../contract/abi';
import { XattrLists } from './xattrs';

/** Inode flags. */
export const WHITEOUT: u8 = 1; // a whiteout rewritten as a regular file (size 0, no content, composefs-image.md §2.9 P2.4)
export const EXTERNAL: u8 = 2; // an external file (regular, size > 0, no inline content, composefs-image.md §2.8.3)
export const HAS_CHILDREN: u8 = 4; // a non-directory whose node has children (EINVAL in P4)
export const COMPACT: u8 = 8; // a 32-byte inode header (composefs-image.md §2.4.4, P6)
/** Dirent flags. */
export const PRIMARY: u8 = 1; // the target's own entry: the target is queued in BFS (P4)
export const OWN_DIR: u8 = 2; // the entry's own mode is a directory (directory nlink, P4)

/** The whiteout stubs 00..ff (composefs-image.md §2.9 P3). */
export const STUB_COUNT: i32 = 256;

/** EROFS_FT_* of a mode (composefs-image.md §2.7). */
export function fileType(mode: u32): u8 {
  switch (mode & S_IFMT) {
    case S_IFREG: return FT_REG_FILE;
    case S_IFDIR: return FT_DIR;
    case S_IFCHR: return FT_CHRDEV;
    case S_IFBLK: return FT_BLKDEV;
    case S_IFIFO: return FT_FIFO;
    case S_IFSOCK: return FT_SOCK;
    case S_IFLNK: return FT_SYMLINK;
    default: return FT_UNKNOWN;
  }
}

/**
 * Upper bounds of what the writer makes of a tree, from one walk over it (like P0's), and
 * whether it holds a whiteout (composefs-image.md §2.10).
 */
export class Survey {
  inodes: i32 = 1 + STUB_COUNT;
  dirents: i32 = STUB_COUNT;
  records: i32 = STUB_COUNT;
  hasWhiteout: bool = false;

  constructor(root: Node) {
    const stack: Array<Node> = [root];
    this.records += root.xattrs.length + 9;
    while (stack.length) {
      const n = stack.pop();
      const children = n.children;
      const k = children ? children.length : 0;
      // A directory's entries with "." and "..", and the root's once more with the stubs (P3).
      if (isDir(n.mode) || k > 0) this.dirents += (k + 2) * (n === root ? 2 : 1);
      if (!children) continue;
      for (let i = 0; i < k; i++) {
        const c = unchecked(children[i]);
        if (c.linkTo) continue;
        this.inodes++;
        const xs = c.xattrs.length;
        // Its xattrs; a file's metacopy and redirect; a whiteout's own two, and its parent's list moved to the end with four more.
        this.records += xs + (isReg(c.mode) ? 2 : 0);
        if ((c.mode & S_IFMT) == S_IFCHR && c.rdev == 0) {
          this.hasWhiteout = true;
          this.records += n.xattrs.length + 10;
        }
        stack.push(c);
      }
    }
  }
}

export class Inodes {
  /** Number of inodes. */
  count: i32 = 0;
  /** The node (null for the whiteout stubs: they take their fields from the root). */
  node: StaticArray<Node | null>;
  parent: StaticArray<i32>;
  /** st_mode after P2 (a whiteout becomes a regular file). */
  mode: StaticArray<u32>;
  flags: StaticArray<u8>;
  /** The running xattr budget of the working copy; starts at 0 (composefs-image.md §2.11). */
  budget: StaticArray<i16>;
  /** External files: chunk format (chunkbits - 12) and chunk count (composefs-image.md §2.8.3). */
  chunkFormat: StaticArray<u8>;
  chunkCount: StaticArray<u16>;
  /** Directories: their entries are dirent[direntStart, direntEnd) in name order; -1 otherwise. */
  direntStart: StaticArray<i32>;
  direntEnd: StaticArray<i32>;
  /** nlink after P4 (directories: 2 + subdirectories). */
  nlink: StaticArray<u32>;
  uid: StaticArray<u32>;
  gid: StaticArray<u32>;
  /** Device number (devices only). */
  rdev: StaticArray<u32>;
  /** mtime, 0.0 with useEpoch. */
  mtimeSec: StaticArray<i64>;
  mtimeNsec: StaticArray<u32>;
  /** st_size (0 for stubs and rewritten whiteouts). */
  size: StaticArray<u64>;
  /** Bytes of the symlink target or the inline content. */
  dataLength: StaticArray<i32>;
  xattrs: XattrLists;

  /* ---- dirent arena ---- */
  direntCount: i32 = 0;
  direntName: StaticArray<Uint8Array>;
  direntNameLength: StaticArray<i32>;
  /** Inode id the entry names (after P4 for hardlink aliases). */
  direntTarget: StaticArray<i32>;
  direntFlags: StaticArray<u8>;
  /** Hardlink alias entries (target -1 until P4): the alias Node, else null. */
  direntAlias: StaticArray<Node | null>;
  hasAliases: bool = false;

  constructor(public root: Node, public useEpoch: bool, survey: Survey) {
    const n = survey.inodes;
    this.node = new StaticArray<Node | null>(n);
    this.parent = new StaticArray<i32>(n);
    this.mode = new StaticArray<u32>(n);
    this.flags = new StaticArray<u8>(n);
    this.budget = new StaticArray<i16>(n);
    this.chunkFormat = new StaticArray<u8>(n);
    this.chunkCount = new StaticArray<u16>(n);
    this.direntStart = new StaticArray<i32>(n);
    this.direntEnd = new StaticArray<i32>(n);
    this.nlink = new StaticArray<u32>(n);
    this.uid = new StaticArray<u32>(n);
    this.gid = new StaticArray<u32>(n);
    this.rdev = new StaticArray<u32>(n);
    this.mtimeSec = new StaticArray<i64>(n);
    this.mtimeNsec = new StaticArray<u32>(n);
    this.size = new StaticArray<u64>(n);
    this.dataLength = new StaticArray<i32>(n);
    this.xattrs = new XattrLists(n, survey.records);
    const d = survey.dirents;
    this.direntName = new StaticArray<Uint8Array>(d);
    this.direntNameLength = new StaticArray<i32>(d);
    this.direntTarget = new StaticArray<i32>(d);
    this.direntFlags = new StaticArray<u8>(d);
    this.direntAlias = new StaticArray<Node | null>(d);
  }

  /** A new inode for `node` (null: a whiteout stub) under `parent` (-1: itself, the root). */
  add(node: Node | null, parent: i32, mode: u32): i32 {
    const id = this.count++;
    // The survey's bound holds by construction; never write past it.
    if (id >= this.node.length) unreachable();
    unchecked(this.node[id] = node);
    unchecked(this.parent[id] = parent < 0 ? id : parent);
    unchecked(this.mode[id] = mode);
    unchecked(this.direntStart[id] = -1);
    unchecked(this.direntEnd[id] = -1);
    return id;
  }

  /** P1: copies the inode fields of inode `id`'s node (`node` null: a whiteout stub, whose uid, gid and mtime are the root's, composefs-image.md §2.9 P3). */
  capture(id: i32, node: Node | null): void {
    const src = node ? node : this.root;
    unchecked(this.nlink[id] = node ? node.nlink : 1);
    unchecked(this.uid[id] = src.uid);
    unchecked(this.gid[id] = src.gid);
    if (!this.useEpoch) {
      unchecked(this.mtimeSec[id] = src.mtimeSec);
      unchecked(this.mtimeNsec[id] = src.mtimeNsec);
    }
    if (!node) return;
    const mode = unchecked(this.mode[id]);
    unchecked(this.rdev[id] = node.rdev);
    unchecked(this.size[id] = node.size);
    const payload = node.payload;
    const content = node.content;
    if (isLnk(mode)) unchecked(this.dataLength[id] = payload ? payload.length : 0);
    else if (content) unchecked(this.dataLength[id] = content.length);
    if (!isDir(mode)) {
      const children = node.children;
      if (children && children.length > 0) unchecked(this.flags[id] = HAS_CHILDREN);
    }
  }

  /** Appends a directory entry. */
  addDirent(name: Uint8Array, target: i32, flags: u8, alias: Node | null): void {
    const d = this.direntCount++;
    if (d >= this.direntName.length) unreachable();
    unchecked(this.direntName[d] = name);
    unchecked(this.direntNameLength[d] = name.length);
    unchecked(this.direntTarget[d] = target);
    unchecked(this.direntFlags[d] = flags);
    unchecked(this.direntAlias[d] = alias);
    if (alias) this.hasAliases = true;
  }

  /** Moves dirent `from` to `to`. */
  moveDirent(from: i32, to: i32): void {
    unchecked(this.direntName[to] = this.direntName[from]);
    unchecked(this.direntNameLength[to] = this.direntNameLength[from]);
    unchecked(this.direntTarget[to] = this.direntTarget[from]);
    unchecked(this.direntFlags[to] = this.direntFlags[from]);
    unchecked(this.direntAlias[to] = this.direntAlias[from]);
  }

  // @ts-ignore: decorator
  @inline isExternal(id: i32): bool {
    return (unchecked(this.flags[id]) & EXTERNAL) != 0;
  }

  // @ts-ignore: decorator
  @inline isWhiteout(id: i32): bool {
    return (unchecked(this.flags[id]) & WHITEOUT) != 0;
  }

  payload(id: i32): Uint8Array | null {
    const n = unchecked(this.node[id]);
    return n ? n.payload : null;
  }

  content(id: i32): Uint8Array | null {
    const n = unchecked(this.node[id]);
    return n && !this.isWhiteout(id) ? n.content : null;
  }

  /** Where the inode came from, for error messages. */
  describe(id: i32): string {
    const n = unchecked(this.node[id]);
    return n ? decodeText(nodePath(n)) : 'whiteout stub';
  }
}

/** Absolute path of a node as bytes ("/" for the root). */
function nodePath(node: Node): Uint8Array {
  let len = 0;
  for (let n: Node | null = node; n && n.parent; n = n.parent) len += n.name.length + 1;
  if (len == 0) return Uint8Array.wrap(String.UTF8.encode('/'));
  const out = new Uint8Array(len);
  let end = len;
  for (let n: Node | null = node; n && n.parent; n = n.parent) {
    const name = n.name;
    end -= name.length;
    memory.copy(out.dataStart + end, name.dataStart, name.length);
    out[--end] = 0x2f;
  }
  return out;
}

/**
 * Fails the write like mkcomposefs ("cannot write file: <strerror of code>", composefs-image.md §2.11); the text is
 * the CfsError field `WHERE: DETAIL` naming the node at fault (src/wasm/write-error.ts).
 */
export function writeFail(code: string, where: string, detail: string): void {
  fail(FAIL_WRITE, 0, code, where + ': ' + detail);
}
