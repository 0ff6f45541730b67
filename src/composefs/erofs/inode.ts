/**
 * The writer's working inodes: libcomposefs writes from a deep clone of the caller's tree
 * (spec composefs-image.md §2.9 P1). Here the clone is a set of flat arrays indexed by a writer
 * inode id (ids in creation order, the 00..ff whiteout stubs last): what P2 changes is stored
 * (mode, xattrs, the whiteout flag), everything else is read from the caller's Node, which is
 * never modified. Directory entries live in one arena (`dirent*`), each directory a range of it.
 */
import type { Node, Xattr } from '../tree.js';

const EMPTY: Xattr[] = [];

type Column = Int32Array | Uint32Array | Uint8Array;

/** A column grown (doubled) to hold at least n entries. */
function grown<T extends Column>(a: T, n: number): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

export class Inodes {
  /** Number of inodes. */
  count = 0;
  /** The caller's node (null for the whiteout stubs: they take their fields from the root). */
  readonly node: (Node | null)[] = [];
  parent = new Int32Array(1024);
  /** st_mode after P2 (a whiteout becomes a regular file). */
  mode = new Uint32Array(1024);
  /** 1: a whiteout rewritten as a regular file (size 0, no content, §2.9 P2.4). */
  whiteout = new Uint8Array(1024);
  /** 1: an external file (regular, size > 0, no inline content, §2.8.3), set in P2. */
  external = new Uint8Array(1024);
  /** Working xattr lists: the node's own array until P2 changes or P4 sorts it. */
  readonly xattrs: Xattr[][] = [];
  /** The running xattr budget of the working copy; starts at 0 (§2.11). */
  budget = new Int32Array(1024);
  /** External files: chunk format (chunkbits - 12) and chunk count (§2.8.3). */
  chunkFormat = new Int32Array(1024);
  chunkCount = new Int32Array(1024);
  /** Directories: their entries are dirent[direntStart, direntEnd) in name order; -1 otherwise. */
  direntStart = new Int32Array(1024);
  direntEnd = new Int32Array(1024);
  /** nlink after P4 (directories: 2 + subdirectories). */
  nlink = new Uint32Array(1024);

  /* ---- dirent arena ---- */
  direntCount = 0;
  readonly direntName: Uint8Array[] = [];
  /** Inode id the entry names (after P4 for hardlink aliases). */
  direntTarget = new Int32Array(4096);
  /** The entry's own st_mode (0 for `.`/`..`), for directory nlink (P4). */
  direntOwnMode = new Uint32Array(4096);
  /** 1 when the entry is its target's own (primary) entry: the target is queued in BFS (P4). */
  direntPrimary = new Uint8Array(4096);
  /** Hardlink alias entries (target -1 until P4): dirent index → alias Node. */
  aliases = new Map<number, Node>();

  constructor(
    readonly root: Node,
    readonly useEpoch: boolean,
  ) {}

  /** A new inode for `node` (null: a whiteout stub) under `parent` (-1: itself, the root). */
  add(node: Node | null, parent: number, mode: number): number {
    const id = this.count++;
    if (id === this.parent.length) this.growInodes(id + 1);
    this.node.push(node);
    this.parent[id] = parent < 0 ? id : parent;
    this.mode[id] = mode;
    this.xattrs.push(node ? node.xattrs : EMPTY);
    this.direntStart[id] = -1;
    this.direntEnd[id] = -1;
    this.nlink[id] = node ? node.nlink : 1;
    return id;
  }

  private growInodes(n: number): void {
    this.parent = grown(this.parent, n);
    this.mode = grown(this.mode, n);
    this.budget = grown(this.budget, n);
    this.chunkFormat = grown(this.chunkFormat, n);
    this.chunkCount = grown(this.chunkCount, n);
    this.direntStart = grown(this.direntStart, n);
    this.direntEnd = grown(this.direntEnd, n);
    this.nlink = grown(this.nlink, n);
    this.whiteout = grown(this.whiteout, n);
    this.external = grown(this.external, n);
  }

  /** Appends a directory entry; returns its index. */
  addDirent(name: Uint8Array, target: number, ownMode: number, primary: boolean): number {
    const d = this.direntCount++;
    if (d === this.direntTarget.length) {
      this.direntTarget = grown(this.direntTarget, d + 1);
      this.direntOwnMode = grown(this.direntOwnMode, d + 1);
      this.direntPrimary = grown(this.direntPrimary, d + 1);
    }
    this.direntName.push(name);
    this.direntTarget[d] = target;
    this.direntOwnMode[d] = ownMode;
    this.direntPrimary[d] = primary ? 1 : 0;
    return d;
  }

  /** The node an inode's fields come from (the root for whiteout stubs). */
  source(id: number): Node {
    return this.node[id] ?? this.root;
  }

  uid(id: number): number {
    return this.source(id).uid;
  }

  gid(id: number): number {
    return this.source(id).gid;
  }

  rdev(id: number): number {
    return this.node[id]?.rdev ?? 0;
  }

  mtimeSec(id: number): bigint {
    return this.useEpoch ? 0n : this.source(id).mtimeSec;
  }

  mtimeNsec(id: number): number {
    return this.useEpoch ? 0 : this.source(id).mtimeNsec;
  }

  /** st_size (0 for stubs and rewritten whiteouts). */
  size(id: number): bigint {
    const n = this.node[id];
    return n && this.whiteout[id] === 0 ? n.size : 0n;
  }

  payload(id: number): Uint8Array | null {
    return this.node[id]?.payload ?? null;
  }

  content(id: number): Uint8Array | null {
    return this.whiteout[id] === 0 ? (this.node[id]?.content ?? null) : null;
  }

  digest(id: number): Uint8Array | null {
    return this.node[id]?.digest ?? null;
  }

  /** Makes the inode's xattr list a private copy before it changes. */
  ownXattrs(id: number): Xattr[] {
    const node = this.node[id];
    let xs = this.xattrs[id];
    if (xs === EMPTY || (node && xs === node.xattrs)) {
      xs = xs.slice();
      this.xattrs[id] = xs;
    }
    return xs;
  }

  /** Where the inode came from, for error messages. */
  describe(id: number): string {
    const node = this.node[id];
    return node ? new TextDecoder().decode(node.path()) : 'whiteout stub';
  }
}

export { writeError, type WriteErrno } from '../write-error.js';
