/**
 * The writer's working inode: libcomposefs writes from a deep clone of the caller's tree
 * (spec composefs-image.md §2.9 P1); a WInode is that clone for one non-alias node, with the
 * overlay rewriting applied and, later, its layout. The caller's Nodes are never modified.
 */
import { CfsError } from '../../errors.js';
import type { Node, Xattr } from '../tree.js';

/** One directory entry of a WInode directory (§2.7); `alias` until hardlinks are resolved (P4). */
export interface Dirent {
  name: Uint8Array;
  /** The inode it names (links followed). */
  target: WInode | null;
  /** A hardlink alias entry: the alias Node, resolved in P4. */
  alias: Node | null;
  /** The entry's own st_mode (0 for `.`/`..`), used for directory nlink (P4). */
  ownMode: number;
  /** The entry is the target's own (primary) entry: the target is queued in BFS order (P4). */
  primary: boolean;
}

export class WInode {
  /** The caller's node (null for the 00..ff whiteout stubs). */
  readonly node: Node | null;
  parent: WInode;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  mtimeSec: bigint;
  mtimeNsec: number;
  size: bigint;
  payload: Uint8Array | null;
  content: Uint8Array | null;
  digest: Uint8Array | null;
  /** Working copy of the xattrs (copied on first change); sorted by key in P4. */
  xattrs: Xattr[];
  ownsXattrs = false;
  /** The running xattr budget of the working copy; starts at 0 (§2.11). */
  budget = 0;
  /** Directory entries in name order, `.` and `..` included; null for non-directories. */
  dirents: Dirent[] | null = null;

  /* ---- P4 ---- */
  index = 0;

  /* ---- P5/P6 layout ---- */
  /** Occurrence number of the first (sorted) xattr in the layout's XattrTable (P5). */
  xattrBase = 0;
  compact = true;
  nblocks = 0;
  tail = 0;
  xattrSize = 0;
  nid = 0;
  /** Directory: index of the first entry of each full block, and of the inline tail group. */
  blockStarts: number[] | null = null;
  tailStart = 0;
  /** Block address of the first data block (i_u), 0 when none. */
  blkaddr = 0;
  /** Chunk-based files: chunk format (chunkbits - 12) and chunk count (§2.8.3). */
  chunkFormat = 0;
  chunkCount = 0;

  constructor(node: Node | null, parent: WInode | null, mode: number) {
    this.node = node;
    this.parent = parent ?? this;
    this.mode = mode;
    this.nlink = node?.nlink ?? 1;
    this.uid = node?.uid ?? 0;
    this.gid = node?.gid ?? 0;
    this.rdev = node?.rdev ?? 0;
    this.mtimeSec = node?.mtimeSec ?? 0n;
    this.mtimeNsec = node?.mtimeNsec ?? 0;
    this.size = node?.size ?? 0n;
    this.payload = node?.payload ?? null;
    this.content = node?.content ?? null;
    this.digest = node?.digest ?? null;
    this.xattrs = node?.xattrs ?? [];
  }

  /** Makes `xattrs` a private copy before it changes. */
  ownXattrs(): Xattr[] {
    if (!this.ownsXattrs) {
      this.xattrs = this.xattrs.slice();
      this.ownsXattrs = true;
    }
    return this.xattrs;
  }

  /** Where the inode came from, for error messages. */
  describe(): string {
    return this.node ? new TextDecoder().decode(this.node.path()) : 'whiteout stub';
  }
}

/** strerror() texts of the errno values the C writer reports (§2.11, §3.5). */
const STRERROR = {
  EINVAL: 'Invalid argument',
  EFBIG: 'File too large',
  ELOOP: 'Too many levels of symbolic links',
  ERANGE: 'Numerical result out of range',
  ENOTDIR: 'Not a directory',
} as const;
export type WriteErrno = keyof typeof STRERROR;

/** The error mkcomposefs prints as "cannot write file: <strerror>", naming the node at fault. */
export function writeError(errno: WriteErrno, where: string, detail?: string): CfsError {
  return new CfsError(`cannot write file: ${STRERROR[errno]}`, {
    field: detail ? `${where}: ${detail}` : where,
    code: errno,
  });
}
