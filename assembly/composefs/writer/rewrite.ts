/**
 * Writer passes P0-P3 (spec composefs-image.md §2.9): format version selection, the working copy
 * of the tree with overlay xattrs escaped and added, whiteouts rewritten, and the root's opaque
 * marker and 00..ff whiteout stubs.
 */
import { compareBytes, equalBytes, isDir, isReg, isValidType, Node, NO_XATTRS, Xattr } from '../tree';
import { concat, decodeText, startsWith, utf8 } from './bytes';
import { S_IFCHR, S_IFMT, S_IFREG } from '../../contract/mode';
import {
  BLOCK_BITS,
  BUDGET_REFUSED,
  budgetAfterSet,
  CFS_VERSION_MAX,
  CHUNK_FORMAT_BLKBITS_MASK,
  MAX_CHUNKS,
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
} from '../../contract/erofs';
import { EXTERNAL, Inodes, OWN_DIR, PRIMARY, STUB_COUNT, Survey, WHITEOUT, writeFail } from './inode';
import { prefixLength, PRE_METACOPY, PRE_NONE, PRE_SLASH, XattrLists } from './xattrs';

const DOT = utf8('.');
const DOTDOT = utf8('..');
const EMPTY = new Uint8Array(0);
const VALUE_X = utf8('x');
const VALUE_Y = utf8('y');
const K_PREFIX = utf8(OVERLAY_XATTR_PREFIX);
const K_ESCAPE_PREFIX = utf8(OVERLAY_XATTR_ESCAPE_PREFIX);
const K_METACOPY = utf8(OVERLAY_XATTR_METACOPY);
const K_REDIRECT = utf8(OVERLAY_XATTR_REDIRECT);
const K_OPAQUE = utf8(OVERLAY_XATTR_OPAQUE);
const K_ESC_WHITEOUT = utf8(OVERLAY_XATTR_ESCAPED_WHITEOUT);
const K_USER_WHITEOUT = utf8(OVERLAY_XATTR_USERXATTR_WHITEOUT);
const K_ESC_WHITEOUTS = utf8(OVERLAY_XATTR_ESCAPED_WHITEOUTS);
const K_USER_WHITEOUTS = utf8(OVERLAY_XATTR_USERXATTR_WHITEOUTS);
const K_ESC_OPAQUE = utf8(OVERLAY_XATTR_ESCAPED_OPAQUE);
const K_USER_OPAQUE = utf8(OVERLAY_XATTR_USERXATTR_OPAQUE);
const K_SELINUX = utf8(XATTR_SELINUX);
const HEX = '0123456789abcdef';

/** P0: the effective format version (composefs-image.md §2.10): min, raised to 1 when max allows and a whiteout exists. */
export function effectiveVersion(minVersion: i32, maxVersion: i32, hasWhiteout: bool): i32 {
  if (minVersion >= 1 || max<i32>(minVersion, maxVersion) < 1) return minVersion;
  return hasWhiteout ? 1 : minVersion;
}

/** The format version options must be ones C accepts (composefs-image.md §2.10). */
export function checkVersions(minVersion: i32, maxVersion: i32): void {
  if (!(minVersion >= 0 && minVersion <= CFS_VERSION_MAX && maxVersion <= CFS_VERSION_MAX)) {
    writeFail('EINVAL', 'format version', `min ${minVersion}, max ${maxVersion} (at most ${CFS_VERSION_MAX})`);
  }
}

/** lcfs_node_set_xattr on the working copy, with the C budget (ERANGE, composefs-image.md §2.11). */
function setXattr(t: Inodes, id: i32, key: Uint8Array, body: Uint8Array, pre: u8): void {
  const x = t.xattrs;
  const s = unchecked(x.start[id]);
  const n = unchecked(x.count[id]);
  let r = -1;
  for (let i = s; i < s + n; i++) {
    if (equalBytes(unchecked(x.key[i]), key)) {
      r = i;
      break;
    }
  }
  const valueLength = prefixLength(pre) + body.length;
  const next = budgetAfterSet(unchecked(t.budget[id]), n, key.length, valueLength, r >= 0 ? x.valueLength(r) : -1);
  if (next == BUDGET_REFUSED) writeFail('ERANGE', t.describe(id), 'setting xattr ' + decodeText(key));
  unchecked(t.budget[id] = <i16>next);
  if (r >= 0) x.replace(id, r, key, body, pre);
  else x.append(id, key, body, pre);
}

/** Sets chunkFormat and chunkCount of an external file of `size` bytes (composefs-image.md §2.8.3); a count > 1024 means too many. */
function setChunking(t: Inodes, id: i32, size: u64): void {
  let bits = size > 1 ? 64 - <i32>clz<u64>(size - 1) : 1;
  if (bits < BLOCK_BITS) bits = BLOCK_BITS;
  if (bits - BLOCK_BITS > CHUNK_FORMAT_BLKBITS_MASK) bits = BLOCK_BITS + CHUNK_FORMAT_BLKBITS_MASK;
  unchecked(t.chunkFormat[id] = <u8>(bits - BLOCK_BITS));
  const count = (size >> <u64>bits) + <u64>((size & ((<u64>1 << <u64>bits) - 1)) != 0);
  unchecked(t.chunkCount[id] = <u16>(count > <u64>MAX_CHUNKS ? MAX_CHUNKS + 1 : <i32>count));
}

function compareNames(a: Node, b: Node): i32 {
  return compareBytes(a.name, b.name);
}

/** Children in strcmp order of names (dumps are usually sorted already). */
function sortedChildren(children: Array<Node>): Array<Node> {
  for (let i = 1, n = children.length; i < n; i++) {
    if (compareBytes(unchecked(children[i - 1]).name, unchecked(children[i]).name) > 0) {
      return children.slice(0).sort(compareNames);
    }
  }
  return children;
}

/** P2 for one inode (`rewrite_tree_node_for_erofs` minus the recursion); opens its xattr list. */
function rewriteNode(t: Inodes, id: i32, version: i32): void {
  const node = unchecked(t.node[id])!;
  const x = t.xattrs;
  t.capture(id, node);
  x.open(id, node.xattrs);
  const mode = unchecked(t.mode[id]);
  // 1. validate
  if (!isValidType(mode)) writeFail('EINVAL', t.describe(id), 'invalid mode ' + mode.toString(8));
  // An external file: regular, size > 0, no inline content (composefs-image.md §2.8.3).
  const size = node.size;
  const external = isReg(mode) && size > 0 && node.content === null;
  if (external) {
    unchecked(t.flags[id] |= EXTERNAL);
    setChunking(t, id, size);
    if (<i32>unchecked(t.chunkCount[id]) > MAX_CHUNKS) writeFail('EFBIG', t.describe(id), `size ${size} needs more than ${MAX_CHUNKS} chunks`);
  }
  // 2. escape user trusted.overlay.* xattrs, once
  for (let r = unchecked(x.start[id]), end = r + unchecked(x.count[id]); r < end; r++) {
    const key = unchecked(x.key[r]);
    if (startsWith(key, K_PREFIX)) unchecked(x.key[r] = concat(K_ESCAPE_PREFIX, key.subarray(K_PREFIX.length)));
  }
  // 3. external file: metacopy (digest or empty) and redirect
  if (external) {
    // A digest is always 32 bytes: the parser decodes 64 hex digits, the tree records refuse others.
    const digest = node.digest;
    if (!digest) setXattr(t, id, K_METACOPY, EMPTY, PRE_NONE);
    else setXattr(t, id, K_METACOPY, digest, PRE_METACOPY);
    const payload = node.payload;
    if (payload && payload.length > 0) setXattr(t, id, K_REDIRECT, payload, PRE_SLASH);
  }
  // 4. whiteout → escaped regular file; mark the parent
  if ((mode & S_IFMT) == S_IFCHR && node.rdev == 0) {
    unchecked(t.mode[id] = (mode & ~S_IFMT) | S_IFREG);
    unchecked(t.flags[id] |= WHITEOUT);
    unchecked(t.size[id] = 0);
    unchecked(t.dataLength[id] = 0);
    const parent = unchecked(t.parent[id]);
    setXattr(t, id, K_ESC_WHITEOUT, EMPTY, PRE_NONE);
    setXattr(t, id, K_USER_WHITEOUT, EMPTY, PRE_NONE);
    setXattr(t, parent, K_ESC_WHITEOUTS, EMPTY, PRE_NONE);
    setXattr(t, parent, K_USER_WHITEOUTS, EMPTY, PRE_NONE);
    if (version >= 1) {
      setXattr(t, parent, K_ESC_OPAQUE, VALUE_X, PRE_NONE);
      setXattr(t, parent, K_USER_OPAQUE, VALUE_X, PRE_NONE);
    }
  }
}

/** Sorts the dirent range [start, end) by name (strcmp order): an insertion sort, as entries are nearly sorted. */
function sortDirents(t: Inodes, start: i32, end: i32): void {
  const names = t.direntName;
  for (let d = start + 1; d < end; d++) {
    const name = unchecked(names[d]);
    if (compareBytes(unchecked(names[d - 1]), name) <= 0) continue;
    const nameLength = unchecked(t.direntNameLength[d]);
    const target = unchecked(t.direntTarget[d]);
    const flags = unchecked(t.direntFlags[d]);
    const alias = unchecked(t.direntAlias[d]);
    let j = d;
    for (; j > start && compareBytes(unchecked(names[j - 1]), name) > 0; j--) t.moveDirent(j - 1, j);
    unchecked(names[j] = name);
    unchecked(t.direntNameLength[j] = nameLength);
    unchecked(t.direntTarget[j] = target);
    unchecked(t.direntFlags[j] = flags);
    unchecked(t.direntAlias[j] = alias);
  }
}

/** Whether sorted children hold `name`. */
function hasChild(children: Array<Node>, name: Uint8Array): bool {
  let lo = 0;
  let hi = children.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(unchecked(children[mid]).name, name);
    if (c == 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/**
 * P1-P3: builds the working copy of `root` (children in name order, aliases skipped),
 * rewriting every inode in pre-order, then decorates the root. The root is inode 0.
 */
export function rewriteTree(root: Node, version: i32, useEpoch: bool, survey: Survey): Inodes {
  // The whiteout stubs go into the root (add_overlay_whiteouts): it must be a directory.
  if (!isDir(root.mode)) writeFail('ENOTDIR', '/', 'the root is not a directory');
  const t = new Inodes(root, useEpoch, survey);
  t.add(root, -1, root.mode);
  let rootChildren: Array<Node> = [];
  const stack: Array<i32> = [0];
  const subdirs: Array<i32> = [];
  while (stack.length) {
    const id = stack.pop();
    rewriteNode(t, id, version);
    if (!isDir(unchecked(t.mode[id]))) continue;
    const own = unchecked(t.node[id])!.children;
    const children = own ? sortedChildren(own) : new Array<Node>(0);
    if (id == 0) rootChildren = children;
    const start = t.direntCount;
    // "." and ".." come first unless the tree has them; the children follow in order.
    let last: Uint8Array | null = null;
    if (!hasChild(children, DOT)) {
      t.addDirent(DOT, id, 0, null);
      last = DOT;
    }
    if (!hasChild(children, DOTDOT)) {
      t.addDirent(DOTDOT, unchecked(t.parent[id]), 0, null);
      last = DOTDOT;
    }
    subdirs.length = 0;
    for (let i = 0, n = children.length; i < n; i++) {
      const c = unchecked(children[i]);
      const ownDir = isDir(c.mode) ? OWN_DIR : 0;
      if (c.linkTo) {
        t.addDirent(c.name, -1, ownDir, c);
      } else {
        const cid = t.add(c, id, c.mode);
        t.addDirent(c.name, cid, PRIMARY | ownDir, null);
        subdirs.push(cid);
      }
    }
    unchecked(t.direntStart[id] = start);
    unchecked(t.direntEnd[id] = t.direntCount);
    // Out of order only when a child's name sorts before "." or "..".
    if (last && children.length > 0 && compareBytes(unchecked(children[0]).name, last) < 0) sortDirents(t, start, t.direntCount);
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(unchecked(subdirs[i]));
  }
  decorateRoot(t, rootChildren);
  return t;
}

/**
 * P3: `trusted.overlay.opaque=y` on the root and the 00..ff whiteout stubs (composefs-image.md §2.9 P3). The root's
 * entries are moved to the end of the arena with the stubs merged in.
 */
function decorateRoot(t: Inodes, rootChildren: Array<Node>): void {
  setXattr(t, 0, K_OPAQUE, VALUE_Y, PRE_NONE);
  const x: XattrLists = t.xattrs;
  let selinux = -1;
  for (let r = unchecked(x.start[0]), end = r + unchecked(x.count[0]); r < end; r++) {
    if (equalBytes(unchecked(x.key[r]), K_SELINUX)) {
      selinux = r;
      break;
    }
  }
  const start = t.direntCount;
  for (let d = unchecked(t.direntStart[0]), end = unchecked(t.direntEnd[0]); d < end; d++) t.addDirent(unchecked(t.direntName[d]), unchecked(t.direntTarget[d]), unchecked(t.direntFlags[d]), unchecked(t.direntAlias[d]));
  for (let i = 0; i < STUB_COUNT; i++) {
    const name = new Uint8Array(2);
    name[0] = <u8>HEX.charCodeAt(i >> 4);
    name[1] = <u8>HEX.charCodeAt(i & 15);
    if (hasChild(rootChildren, name)) continue;
    const stub = t.add(null, 0, WHITEOUT_STUB_MODE);
    t.capture(stub, null);
    x.open(stub, NO_XATTRS);
    if (selinux >= 0) x.append(stub, unchecked(x.key[selinux]), unchecked(x.body[selinux]), unchecked(x.pre[selinux]));
    t.addDirent(name, stub, PRIMARY, null);
  }
  unchecked(t.direntStart[0] = start);
  unchecked(t.direntEnd[0] = t.direntCount);
  sortDirents(t, start, t.direntCount);
}
