/**
 * Writer passes P0-P3 (spec composefs-image.md §2.9): format version selection, the working
 * copy of the tree with overlay xattrs escaped and added, whiteouts rewritten, and the root's
 * opaque marker and 00..ff whiteout stubs.
 */
import { equalBytes, startsWith } from '../bytes.js';
import { budgetAfterSet } from '../xattr-budget.js';
import { compareBytes, isDir, isReg, isValidType, Node, S_IFCHR, S_IFMT, S_IFREG, type Xattr } from '../tree.js';
import {
  CFS_VERSION_MAX,
  CHUNK_FORMAT_BLKBITS_MASK,
  BLOCK_BITS,
  MAX_CHUNKS,
  METACOPY_HEADER,
  METACOPY_SIZE,
  OVERLAY_XATTR_ESCAPE_PREFIX,
  OVERLAY_XATTR_ESCAPED_OPAQUE,
  OVERLAY_XATTR_ESCAPED_WHITEOUT,
  OVERLAY_XATTR_ESCAPED_WHITEOUTS,
  OVERLAY_XATTR_METACOPY,
  OVERLAY_XATTR_OPAQUE,
  OVERLAY_XATTR_PREFIX,
  OVERLAY_XATTR_REDIRECT,
  OVERLAY_XATTR_USERXATTR_OPAQUE,
  OVERLAY_XATTR_USERXATTR_WHITEOUT,
  OVERLAY_XATTR_USERXATTR_WHITEOUTS,
  WHITEOUT_STUB_MODE,
  XATTR_SELINUX,
} from './format.js';
import { type Dirent, WInode, writeError } from './inode.js';

const enc = new TextEncoder();
const DOT = Uint8Array.of(0x2e);
const DOTDOT = Uint8Array.of(0x2e, 0x2e);
const EMPTY = new Uint8Array(0);
const K = {
  prefix: enc.encode(OVERLAY_XATTR_PREFIX),
  escapePrefix: enc.encode(OVERLAY_XATTR_ESCAPE_PREFIX),
  metacopy: enc.encode(OVERLAY_XATTR_METACOPY),
  redirect: enc.encode(OVERLAY_XATTR_REDIRECT),
  opaque: enc.encode(OVERLAY_XATTR_OPAQUE),
  escWhiteout: enc.encode(OVERLAY_XATTR_ESCAPED_WHITEOUT),
  escWhiteouts: enc.encode(OVERLAY_XATTR_ESCAPED_WHITEOUTS),
  escOpaque: enc.encode(OVERLAY_XATTR_ESCAPED_OPAQUE),
  userWhiteout: enc.encode(OVERLAY_XATTR_USERXATTR_WHITEOUT),
  userWhiteouts: enc.encode(OVERLAY_XATTR_USERXATTR_WHITEOUTS),
  userOpaque: enc.encode(OVERLAY_XATTR_USERXATTR_OPAQUE),
  selinux: enc.encode(XATTR_SELINUX),
};
const VALUE_X = Uint8Array.of(0x78);
const VALUE_Y = Uint8Array.of(0x79);
const HEX = '0123456789abcdef';

export interface VersionOptions {
  minVersion: number;
  maxVersion: number;
}

const isWhiteout = (mode: number, rdev: number): boolean => (mode & S_IFMT) === S_IFCHR && rdev === 0;

/** P0: the effective format version (§2.10): min, raised to 1 when max allows and a whiteout exists. */
export function effectiveVersion(root: Node, { minVersion, maxVersion }: VersionOptions): number {
  if (!(minVersion >= 0 && minVersion <= CFS_VERSION_MAX && maxVersion <= CFS_VERSION_MAX)) {
    throw writeError('EINVAL', 'format version', `min ${minVersion}, max ${maxVersion} (at most ${CFS_VERSION_MAX})`);
  }
  const max = Math.max(minVersion, maxVersion);
  if (minVersion >= 1 || max < 1) return minVersion;
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (isWhiteout(n.mode, n.rdev)) return 1;
    if (n.children) for (const c of n.children) if (!c.linkTo) stack.push(c);
  }
  return minVersion;
}

/** lcfs_node_set_xattr on the working copy, with the C budget (ERANGE, §2.11). */
function setXattr(w: WInode, key: Uint8Array, value: Uint8Array): void {
  const xs = w.ownXattrs();
  let i = -1;
  for (let j = 0; j < xs.length; j++) {
    if (equalBytes(xs[j].key, key)) {
      i = j;
      break;
    }
  }
  const next = budgetAfterSet(w.budget, xs.length, key.length, value.length, i >= 0 ? xs[i].value.length : -1);
  if (next === null) throw writeError('ERANGE', w.describe(), `setting xattr ${new TextDecoder().decode(key)}`);
  w.budget = next;
  if (i >= 0) xs.splice(i, 1);
  xs.push({ key, value });
}

/** Chunk size and count of an external file (§2.8.3). */
/** Sets w.chunkFormat and w.chunkCount for an external file of w.size bytes (§2.8.3); count > 1024 means too many. */
export function setChunking(w: WInode): void {
  const size = w.size;
  let bits: number;
  if (size <= 0xffffffffn) bits = size > 1n ? 32 - Math.clz32(Number(size) - 1) : 1;
  else bits = (size - 1n).toString(2).length;
  if (bits < BLOCK_BITS) bits = BLOCK_BITS;
  if (bits - BLOCK_BITS > CHUNK_FORMAT_BLKBITS_MASK) bits = BLOCK_BITS + CHUNK_FORMAT_BLKBITS_MASK;
  w.chunkFormat = bits - BLOCK_BITS;
  if (size <= 0x1fffffffffffffn) {
    w.chunkCount = Math.ceil(Number(size) / 2 ** bits);
  } else {
    const count = (size + (1n << BigInt(bits)) - 1n) >> BigInt(bits);
    w.chunkCount = count > BigInt(MAX_CHUNKS) ? MAX_CHUNKS + 1 : Number(count);
  }
}

/** Children in strcmp order of names (dumps are usually sorted already). */
function sortedChildren(children: Node[]): Node[] {
  for (let i = 1; i < children.length; i++) {
    if (compareBytes(children[i - 1].name, children[i].name) > 0) {
      return children.slice().sort((a, b) => compareBytes(a.name, b.name));
    }
  }
  return children;
}

/**
 * Small values the writer creates (redirects, metacopy), carved from shared chunks: one backing
 * store per 64 KiB instead of one per value.
 */
class Slab {
  private chunk = new Uint8Array(0);
  private used = 0;

  alloc(n: number): Uint8Array {
    if (this.used + n > this.chunk.length) {
      this.chunk = new Uint8Array(Math.max(1 << 16, n));
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }
}

/** P2 for one node (`rewrite_tree_node_for_erofs` minus the recursion). */
function rewriteNode(w: WInode, version: number, slab: Slab): void {
  // 1. validate
  if (!isValidType(w.mode)) throw writeError('EINVAL', w.describe(), `invalid mode ${w.mode.toString(8)}`);
  const external = isReg(w.mode) && w.size > 0n && w.content === null;
  if (external) {
    setChunking(w);
    if (w.chunkCount > MAX_CHUNKS) throw writeError('EFBIG', w.describe(), `size ${w.size} needs more than ${MAX_CHUNKS} chunks`);
  }
  // 2. escape user trusted.overlay.* xattrs, once
  if (w.xattrs.length > 0 && w.xattrs.some((x) => startsWith(x.key, K.prefix))) {
    const xs = w.ownXattrs();
    for (let i = 0; i < xs.length; i++) {
      const key = xs[i].key;
      if (!startsWith(key, K.prefix)) continue;
      const renamed = slab.alloc(K.escapePrefix.length + key.length - K.prefix.length);
      renamed.set(K.escapePrefix);
      renamed.set(key.subarray(K.prefix.length), K.escapePrefix.length);
      xs[i] = { key: renamed, value: xs[i].value };
    }
  }
  // 3. external file: metacopy (digest or empty) and redirect
  if (external) {
    let metacopy: Uint8Array = EMPTY;
    if (w.digest) {
      metacopy = slab.alloc(METACOPY_SIZE);
      metacopy.set(METACOPY_HEADER);
      metacopy.set(w.digest.subarray(0, METACOPY_SIZE - METACOPY_HEADER.length), METACOPY_HEADER.length);
    }
    setXattr(w, K.metacopy, metacopy);
    if (w.payload && w.payload.length > 0) {
      const redirect = slab.alloc(w.payload.length + 1);
      redirect[0] = 0x2f;
      redirect.set(w.payload, 1);
      setXattr(w, K.redirect, redirect);
    }
  }
  // 4. whiteout → escaped regular file; mark the parent
  if (isWhiteout(w.mode, w.rdev)) {
    w.mode = ((w.mode & ~S_IFMT) | S_IFREG) >>> 0;
    w.size = 0n;
    w.content = null;
    setXattr(w, K.escWhiteout, EMPTY);
    setXattr(w, K.userWhiteout, EMPTY);
    setXattr(w.parent, K.escWhiteouts, EMPTY);
    setXattr(w.parent, K.userWhiteouts, EMPTY);
    if (version >= 1) {
      setXattr(w.parent, K.escOpaque, VALUE_X);
      setXattr(w.parent, K.userOpaque, VALUE_X);
    }
  }
}

function dirent(name: Uint8Array, target: WInode | null, alias: Node | null, ownMode: number, primary: boolean): Dirent {
  return { name, target, alias, ownMode, primary };
}

/**
 * P1-P3: builds the working copy from `root` (pre-order, children in name order, aliases
 * skipped), rewriting every node, then decorates the root. Returns the root WInode and the map
 * from the caller's nodes to their WInodes (hardlinks resolve through it in P4).
 */
export function rewriteTree(root: Node, version: number, useEpoch: boolean): { root: WInode; inodes: Map<Node, WInode> } {
  const all: WInode[] = [];
  let aliases = false;
  const make = (node: Node, parent: WInode | null): WInode => {
    const w = new WInode(node, parent, node.mode);
    if (useEpoch) {
      w.mtimeSec = 0n;
      w.mtimeNsec = 0;
    }
    all.push(w);
    return w;
  };
  // The whiteout stubs go into the root (add_overlay_whiteouts): it must be a directory.
  if (!isDir(root.mode)) throw writeError('ENOTDIR', '/', 'the root is not a directory');
  const rootW = make(root, null);
  const slab = new Slab();
  const stack: WInode[] = [rootW];
  while (stack.length) {
    const w = stack.pop()!;
    rewriteNode(w, version, slab);
    const node = w.node!;
    if (!isDir(w.mode)) continue;
    const children = sortedChildren(node.children ?? []);
    const dirents: Dirent[] = [];
    if (!node.lookup(DOT)) dirents.push(dirent(DOT, w, null, 0, false));
    if (!node.lookup(DOTDOT)) dirents.push(dirent(DOTDOT, w.parent, null, 0, false));
    const subdirs: WInode[] = [];
    for (const c of children) {
      if (c.linkTo) {
        aliases = true;
        dirents.push(dirent(c.name, null, c, c.mode, false));
      } else {
        const cw = make(c, w);
        dirents.push(dirent(c.name, cw, null, c.mode, true));
        subdirs.push(cw);
      }
    }
    dirents.sort((a, b) => compareBytes(a.name, b.name));
    w.dirents = dirents;
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
  decorateRoot(rootW);
  // Hardlinks resolve through the caller's nodes (P4); the map is only needed when there are some.
  const inodes = new Map<Node, WInode>();
  if (aliases) for (const w of all) inodes.set(w.node!, w);
  return { root: rootW, inodes };
}

/** P3: `trusted.overlay.opaque=y` on the root and the 00..ff whiteout stubs (§2.9 P3). */
function decorateRoot(root: WInode): void {
  setXattr(root, K.opaque, VALUE_Y);
  const selinux: Xattr | undefined = root.xattrs.find((x) => equalBytes(x.key, K.selinux));
  const node = root.node!;
  const dirents = root.dirents!;
  for (let i = 0; i < 256; i++) {
    const name = enc.encode(HEX[i >> 4] + HEX[i & 15]);
    if (node.lookup(name)) continue;
    const stub = new WInode(null, root, WHITEOUT_STUB_MODE);
    stub.uid = root.uid;
    stub.gid = root.gid;
    stub.mtimeSec = root.mtimeSec;
    stub.mtimeNsec = root.mtimeNsec;
    if (selinux) stub.xattrs = [{ key: selinux.key, value: selinux.value }];
    dirents.push(dirent(name, stub, null, WHITEOUT_STUB_MODE, true));
  }
  dirents.sort((a, b) => compareBytes(a.name, b.name));
}
