/**
 * Writer passes P0-P3 (spec composefs-image.md §2.9): format version selection, the working
 * copy of the tree with overlay xattrs escaped and added, whiteouts rewritten, and the root's
 * opaque marker and 00..ff whiteout stubs.
 */
import { ByteSlab, equalBytes, startsWith } from '../bytes.js';
import { budgetAfterSet } from '../xattr-budget.js';
import { compareBytes, isDir, isReg, isValidType, type Node, S_IFCHR, S_IFMT, S_IFREG, type Xattr } from '../tree.js';
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
import { Inodes, writeError } from './inode.js';

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
/** The writer's fixed xattrs, one object each (working lists only ever replace entries). */
const X = {
  metacopyNone: { key: K.metacopy, value: EMPTY },
  opaque: { key: K.opaque, value: VALUE_Y },
  escWhiteout: { key: K.escWhiteout, value: EMPTY },
  userWhiteout: { key: K.userWhiteout, value: EMPTY },
  escWhiteouts: { key: K.escWhiteouts, value: EMPTY },
  userWhiteouts: { key: K.userWhiteouts, value: EMPTY },
  escOpaque: { key: K.escOpaque, value: VALUE_X },
  userOpaque: { key: K.userOpaque, value: VALUE_X },
} as const;
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

/**
 * lcfs_node_set_xattr on the working copy, with the C budget (ERANGE, §2.11). A new key makes a
 * new list of exactly the right length (most lists gain one or two writer xattrs and no more).
 */
function setXattr(t: Inodes, id: number, x: Xattr): void {
  const xs = t.xattrs[id];
  let i = -1;
  for (let j = 0; j < xs.length; j++) {
    if (equalBytes(xs[j].key, x.key)) {
      i = j;
      break;
    }
  }
  const next = budgetAfterSet(t.budget[id], xs.length, x.key.length, x.value.length, i >= 0 ? xs[i].value.length : -1);
  if (next === null) throw writeError('ERANGE', t.describe(id), `setting xattr ${new TextDecoder().decode(x.key)}`);
  t.budget[id] = next;
  if (i >= 0) {
    const own = t.ownXattrs(id);
    own.splice(i, 1);
    own.push(x);
    return;
  }
  const out = new Array<Xattr>(xs.length + 1);
  for (let j = 0; j < xs.length; j++) out[j] = xs[j];
  out[xs.length] = x;
  t.xattrs[id] = out;
}

/** Sets chunkFormat and chunkCount of an external file of `size` bytes (§2.8.3); a count > 1024 means too many. */
function setChunking(t: Inodes, id: number, size: bigint): void {
  let bits: number;
  if (size <= 0xffffffffn) bits = size > 1n ? 32 - Math.clz32(Number(size) - 1) : 1;
  else bits = (size - 1n).toString(2).length;
  if (bits < BLOCK_BITS) bits = BLOCK_BITS;
  if (bits - BLOCK_BITS > CHUNK_FORMAT_BLKBITS_MASK) bits = BLOCK_BITS + CHUNK_FORMAT_BLKBITS_MASK;
  t.chunkFormat[id] = bits - BLOCK_BITS;
  if (size <= 0x1fffffffffffffn) {
    t.chunkCount[id] = Math.ceil(Number(size) / 2 ** bits);
  } else {
    const count = (size + (1n << BigInt(bits)) - 1n) >> BigInt(bits);
    t.chunkCount[id] = count > BigInt(MAX_CHUNKS) ? MAX_CHUNKS + 1 : Number(count);
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

/** P2 for one inode (`rewrite_tree_node_for_erofs` minus the recursion). */
function rewriteNode(t: Inodes, id: number, version: number, slab: ByteSlab): void {
  const mode = t.mode[id];
  // 1. validate
  if (!isValidType(mode)) throw writeError('EINVAL', t.describe(id), `invalid mode ${mode.toString(8)}`);
  // An external file: regular, size > 0, no inline content (§2.8.3).
  const external = isReg(mode) && t.size(id) > 0n && t.content(id) === null;
  if (external) {
    t.external[id] = 1;
    setChunking(t, id, t.size(id));
    if (t.chunkCount[id] > MAX_CHUNKS) throw writeError('EFBIG', t.describe(id), `size ${t.size(id)} needs more than ${MAX_CHUNKS} chunks`);
  }
  // 2. escape user trusted.overlay.* xattrs, once
  const own = t.xattrs[id];
  if (own.length > 0 && own.some((x) => startsWith(x.key, K.prefix))) {
    const xs = t.ownXattrs(id);
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
    const digest = t.digest(id);
    if (digest) {
      const metacopy = slab.alloc(METACOPY_SIZE);
      metacopy.set(METACOPY_HEADER);
      metacopy.set(digest.subarray(0, METACOPY_SIZE - METACOPY_HEADER.length), METACOPY_HEADER.length);
      setXattr(t, id, { key: K.metacopy, value: metacopy });
    } else {
      setXattr(t, id, X.metacopyNone);
    }
    const payload = t.payload(id);
    if (payload && payload.length > 0) {
      const redirect = slab.alloc(payload.length + 1);
      redirect[0] = 0x2f;
      redirect.set(payload, 1);
      setXattr(t, id, { key: K.redirect, value: redirect });
    }
  }
  // 4. whiteout → escaped regular file; mark the parent
  if (isWhiteout(mode, t.rdev(id))) {
    t.mode[id] = ((mode & ~S_IFMT) | S_IFREG) >>> 0;
    t.whiteout[id] = 1;
    const parent = t.parent[id];
    setXattr(t, id, X.escWhiteout);
    setXattr(t, id, X.userWhiteout);
    setXattr(t, parent, X.escWhiteouts);
    setXattr(t, parent, X.userWhiteouts);
    if (version >= 1) {
      setXattr(t, parent, X.escOpaque);
      setXattr(t, parent, X.userOpaque);
    }
  }
}

/** Reorders the dirent range [start, end) by name (strcmp order). */
function sortDirents(t: Inodes, start: number, end: number): void {
  const names = t.direntName;
  let sorted = true;
  for (let d = start + 1; d < end && sorted; d++) sorted = compareBytes(names[d - 1], names[d]) < 0;
  if (sorted) return;
  const perm = Array.from({ length: end - start }, (_, i) => start + i);
  perm.sort((a, b) => compareBytes(names[a], names[b]));
  const name = perm.map((d) => names[d]);
  const target = perm.map((d) => t.direntTarget[d]);
  const ownMode = perm.map((d) => t.direntOwnMode[d]);
  const primary = perm.map((d) => t.direntPrimary[d]);
  for (let i = 0; i < perm.length; i++) {
    names[start + i] = name[i];
    t.direntTarget[start + i] = target[i];
    t.direntOwnMode[start + i] = ownMode[i];
    t.direntPrimary[start + i] = primary[i];
  }
  if (t.aliases.size > 0) moveAliases(t, perm, start);
}

/** Re-keys the aliases among dirents `from[i]` that moved to `to + i`. */
function moveAliases(t: Inodes, from: number[], to: number): void {
  const moved: [number, Node][] = [];
  for (let i = 0; i < from.length; i++) {
    const alias = t.aliases.get(from[i]);
    if (alias) {
      moved.push([to + i, alias]);
      t.aliases.delete(from[i]);
    }
  }
  for (const [d, alias] of moved) t.aliases.set(d, alias);
}

/**
 * P1-P3: builds the working copy of `root` (children in name order, aliases skipped),
 * rewriting every inode in pre-order, then decorates the root. Returns the inodes (the root is
 * id 0) and, when there are hardlinks, the map from the caller's nodes to inode ids (P4).
 */
export function rewriteTree(root: Node, version: number, useEpoch: boolean): { inodes: Inodes; byNode: Map<Node, number> } {
  // The whiteout stubs go into the root (add_overlay_whiteouts): it must be a directory.
  if (!isDir(root.mode)) throw writeError('ENOTDIR', '/', 'the root is not a directory');
  const t = new Inodes(root, useEpoch);
  t.add(root, -1, root.mode);
  const slab = new ByteSlab();
  const stack: number[] = [0];
  const subdirs: number[] = [];
  while (stack.length) {
    const id = stack.pop()!;
    rewriteNode(t, id, version, slab);
    const node = t.node[id]!;
    if (!isDir(t.mode[id])) continue;
    const children = sortedChildren(node.children ?? []);
    const start = t.direntCount;
    if (!node.lookup(DOT)) t.addDirent(DOT, id, 0, false);
    if (!node.lookup(DOTDOT)) t.addDirent(DOTDOT, t.parent[id], 0, false);
    subdirs.length = 0;
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      if (c.linkTo) {
        t.aliases.set(t.addDirent(c.name, -1, c.mode, false), c);
      } else {
        const cid = t.add(c, id, c.mode);
        t.addDirent(c.name, cid, c.mode, true);
        subdirs.push(cid);
      }
    }
    t.direntStart[id] = start;
    t.direntEnd[id] = t.direntCount;
    sortDirents(t, start, t.direntCount);
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
  decorateRoot(t);
  // Hardlinks resolve through the caller's nodes (P4); the map is only needed when there are some.
  const byNode = new Map<Node, number>();
  if (t.aliases.size > 0) for (let id = 0; id < t.count; id++) if (t.node[id]) byNode.set(t.node[id]!, id);
  return { inodes: t, byNode };
}

/**
 * P3: `trusted.overlay.opaque=y` on the root and the 00..ff whiteout stubs (§2.9 P3). The root's
 * entries are moved to the end of the arena with the stubs merged in.
 */
function decorateRoot(t: Inodes): void {
  setXattr(t, 0, X.opaque);
  const selinux: Xattr | undefined = t.xattrs[0].find((x) => equalBytes(x.key, K.selinux));
  const node = t.node[0]!;
  const start = t.direntCount;
  const old: number[] = [];
  for (let d = t.direntStart[0]; d < t.direntEnd[0]; d++) {
    old.push(d);
    t.addDirent(t.direntName[d], t.direntTarget[d], t.direntOwnMode[d], t.direntPrimary[d] === 1);
  }
  if (t.aliases.size > 0) moveAliases(t, old, start);
  for (let i = 0; i < 256; i++) {
    const name = enc.encode(HEX[i >> 4] + HEX[i & 15]);
    if (node.lookup(name)) continue;
    const stub = t.add(null, 0, WHITEOUT_STUB_MODE);
    if (selinux) t.xattrs[stub] = [{ key: selinux.key, value: selinux.value }];
    t.addDirent(name, stub, WHITEOUT_STUB_MODE, true);
  }
  t.direntStart[0] = start;
  t.direntEnd[0] = t.direntCount;
  sortDirents(t, start, t.direntCount);
}
