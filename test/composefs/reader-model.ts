/**
 * Test model: what C's loader (composefs-image.md §2.12) gives back for an image that mkcomposefs wrote from a
 * dumpfile tree, computed from the parsed dumpfile alone with the writer rules of composefs-image.md §2.5-§2.9
 * (P2 rewrite, P3 root decoration, composefs-image.md §2.6 shared xattrs, §2.7 directory sizes, P4 nlink) and
 * the loader rules of composefs-image.md §2.12 (xattr interpretation, inline-first order, whiteout stubs dropped,
 * hardlink primaries in depth-first order). Independent of src/composefs/erofs: the expected
 * side of the reader tests comes from the vectors' dumpfiles through this model.
 */
import { Node, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, compareBytes, nameKey } from '../../src/tree/tree.js';

interface Pair {
  key: Uint8Array;
  value: Uint8Array;
}

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const str = (b: Uint8Array): string => nameKey(b);

const TRUSTED_OVERLAY = 'trusted.overlay.';
const ESCAPED = 'trusted.overlay.overlay.';
const EMPTY = new Uint8Array(0);

const typeOf = (n: Node): number => n.mode & S_IFMT;
const isWhiteout = (n: Node): boolean => typeOf(n) === S_IFCHR && n.rdev === 0;
const isExternal = (n: Node): boolean => typeOf(n) === S_IFREG && n.size > 0n && n.content === null;

function cstr(b: Uint8Array): Uint8Array {
  const i = b.indexOf(0);
  return i < 0 ? b : b.subarray(0, i);
}

function set(list: Pair[], key: string, value: Uint8Array): void {
  const i = list.findIndex((p) => str(p.key) === key);
  if (i >= 0) list[i] = { key: bytes(key), value };
  else list.push({ key: bytes(key), value });
}

function sortedChildren(n: Node): Node[] {
  return [...(n.children ?? [])].sort((a, b) => compareBytes(a.name, b.name));
}

/** The non-alias nodes of the tree (the image's inodes, without the stubs). */
function inodesOf(root: Node): Node[] {
  const out: Node[] = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    for (const c of n.children ?? []) if (!c.linkTo) stack.push(c);
  }
  return out;
}

/** EROFS directory size (composefs-image.md §2.7): groups of 12+name bytes per 4096 block, tail > 2048 → block. */
export function dirSize(names: Uint8Array[]): bigint {
  let blocks = 0;
  let group = 0;
  for (const name of [...names].sort(compareBytes)) {
    const cost = 12 + name.length;
    if (group + cost > 4096) {
      blocks++;
      group = cost;
    } else {
      group += cost;
    }
  }
  if (group > 2048) {
    blocks++;
    group = 0;
  }
  return BigInt(blocks * 4096 + group);
}

/** Keys stored with an empty suffix under the writer's prefix table (composefs-image.md §2.5). */
const WRITER_PREFIXES = ['user.', 'system.posix_acl_access', 'system.posix_acl_default', 'trusted.', 'security.'];

const STUB_NAMES = Array.from({ length: 256 }, (_, i) => bytes(i.toString(16).padStart(2, '0')));

/**
 * The tree C's loader would return for the image mkcomposefs builds from `src` with
 * `--min-version=V --max-version=V` (V=1) or the default flags (V=0).
 */
export function expectedTree(src: Node, versionFlag: 0 | 1): Node {
  const inodes = inodesOf(src);
  const version = versionFlag === 1 || inodes.some(isWhiteout) ? 1 : 0;

  // P2: escape trusted.overlay.*, add metacopy/redirect, rewrite whiteouts (composefs-image.md §2.9).
  const xattrs = new Map<Node, Pair[]>();
  for (const n of inodes) {
    xattrs.set(n, n.xattrs.map(({ key, value }) => {
      const k = str(key);
      return { key: k.startsWith(TRUSTED_OVERLAY) ? bytes(ESCAPED + k.slice(TRUSTED_OVERLAY.length)) : key, value };
    }));
  }
  for (const n of inodes) {
    const list = xattrs.get(n)!;
    if (isExternal(n)) {
      const metacopy = n.digest ? Uint8Array.of(0, 36, 0, 1, ...n.digest) : EMPTY;
      set(list, 'trusted.overlay.metacopy', metacopy);
      if (n.payload && n.payload.length > 0) set(list, 'trusted.overlay.redirect', Uint8Array.of(0x2f, ...n.payload));
    }
    if (isWhiteout(n)) {
      set(list, 'trusted.overlay.overlay.whiteout', EMPTY);
      set(list, 'user.overlay.whiteout', EMPTY);
      const parent = xattrs.get(n.parent!)!;
      set(parent, 'trusted.overlay.overlay.whiteouts', EMPTY);
      set(parent, 'user.overlay.whiteouts', EMPTY);
      if (version >= 1) {
        set(parent, 'trusted.overlay.overlay.opaque', bytes('x'));
        set(parent, 'user.overlay.opaque', bytes('x'));
      }
    }
  }
  // P3: the root's opaque marker and the 00..ff stubs (only their xattrs matter here).
  set(xattrs.get(src)!, 'trusted.overlay.opaque', bytes('y'));
  const selinux = xattrs.get(src)!.find((p) => str(p.key) === 'security.selinux');
  const stubNames = STUB_NAMES.filter((name) => !src.lookup(name));
  const stubPairs: Pair[][] = stubNames.map(() => (selinux ? [selinux] : []));

  // composefs-image.md §2.6: a (key, value) pair carried by more than one inode is shared.
  const pairKey = (p: Pair): string => `${str(p.key)}\u0000${str(p.value)}`;
  const counts = new Map<string, number>();
  for (const list of [...xattrs.values(), ...stubPairs]) {
    for (const p of list) counts.set(pairKey(p), (counts.get(pairKey(p)) ?? 0) + 1);
  }

  // composefs-image.md §2.5: sorted by key; up to 128 shared pairs become references; the loader reads inline ones first.
  const loaderOrder = (list: Pair[]): Pair[] => {
    const inline: Pair[] = [];
    const shared: Pair[] = [];
    for (const p of [...list].sort((a, b) => compareBytes(a.key, b.key))) {
      if (counts.get(pairKey(p))! > 1 && shared.length < 128) shared.push(p);
      else inline.push(p);
    }
    // The loader walks entries while start + 4 < end: a last inline entry of exactly 4 bytes
    // (empty name suffix, empty value) is never read (composefs-image.md §2.12).
    const last = inline[inline.length - 1];
    if (last && last.value.length === 0 && WRITER_PREFIXES.includes(str(last.key))) inline.pop();
    return [...inline, ...shared];
  };

  const loaded = (n: Node, name: Uint8Array): Node => {
    const type = typeOf(n);
    const out = new Node(name, isWhiteout(n) ? (n.mode & ~S_IFMT & 0xffff) | S_IFREG : n.mode & 0xffff);
    out.nlink = n.nlink;
    out.uid = n.uid;
    out.gid = n.gid;
    out.mtimeSec = n.mtimeSec;
    out.mtimeNsec = n.mtimeNsec;
    if (type === S_IFDIR) {
      const names = (n.children ?? []).map((c) => c.name);
      if (n === src) names.push(...stubNames);
      out.size = dirSize([...names, bytes('.'), bytes('..')]);
      out.nlink = 2 + (n.children ?? []).filter((c) => !c.linkTo && typeOf(c) === S_IFDIR).length;
    } else if (type === S_IFLNK) {
      out.payload = cstr(n.payload!);
      out.size = BigInt(out.payload.length);
    } else if (type === S_IFREG) {
      out.size = n.size;
      if (n.size > 0n && n.content) out.content = n.content;
    } else if (type === S_IFCHR || type === S_IFBLK) {
      out.rdev = n.rdev >>> 0;
    }
    applyLoaderXattrs(out, loaderOrder(xattrs.get(n)!));
    return out;
  };

  // The loader walks depth-first in name order; the first path met for an inode is its primary.
  const root = loaded(src, EMPTY);
  const built = new Map<Node, Node>([[src, root]]);
  const stack: { from: Node; to: Node; children: Node[]; next: number }[] = [
    { from: src, to: root, children: sortedChildren(src), next: 0 },
  ];
  while (stack.length) {
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.children.length) {
      stack.pop();
      continue;
    }
    const child = frame.children[frame.next++];
    let target = child;
    while (target.linkTo) target = target.linkTo;
    const primary = built.get(target);
    if (primary) {
      const alias = new Node(child.name, 0);
      alias.linkTo = primary;
      frame.to.addChild(alias);
      continue;
    }
    const node = loaded(target, child.name);
    built.set(target, node);
    frame.to.addChild(node);
    if (typeOf(target) === S_IFDIR) stack.push({ from: target, to: node, children: sortedChildren(target), next: 0 });
  }
  return root;
}

/** The loader's xattr interpretation (composefs-image.md §2.12), on the pairs in loader order. */
function applyLoaderXattrs(n: Node, pairs: Pair[]): void {
  for (const { key, value } of pairs) {
    const k = str(key);
    const isReg = typeOf(n) === S_IFREG;
    if (k === 'trusted.overlay.redirect') {
      if (!isReg) continue;
      if (value.length > 1 && value[0] === 0x2f) {
        // The C read quirk (composefs-image.md §2.12) leaks following bytes when the entry has no padding.
        if ((4 + 16 + value.length) % 4 === 0) throw new Error('model: redirect read quirk not modelled');
        n.payload = cstr(value.subarray(1));
      } else {
        n.payload = cstr(value);
      }
    } else if (k === 'trusted.overlay.metacopy') {
      if (isReg && value.length === 36) n.digest = value.subarray(4);
    } else if (k === 'trusted.overlay.overlay.whiteout' && isReg) {
      n.mode = (n.mode & ~S_IFMT) | S_IFCHR;
      n.rdev = 0;
      n.size = 0n;
    } else if (['trusted.overlay.overlay.whiteouts', 'user.overlay.whiteout', 'user.overlay.whiteouts'].includes(k)) {
      continue;
    } else if (k.startsWith(TRUSTED_OVERLAY)) {
      if (k.startsWith(ESCAPED)) n.setXattr(bytes('trusted.' + k.slice(TRUSTED_OVERLAY.length)), value);
    } else {
      n.setXattr(key, value);
    }
  }
}

/** The first differing line, for a readable failure. */
export function firstDifference(got: Uint8Array, want: Uint8Array): string | null {
  if (Buffer.from(got).equals(want)) return null;
  const a = Buffer.from(got).toString('latin1').split('\n');
  const b = Buffer.from(want).toString('latin1').split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `line ${i + 1}:\n  got:  ${a[i]?.slice(0, 300)}\n  want: ${b[i]?.slice(0, 300)}`;
}

/**
 * Why `info dump` of an image built from `src` may not rebuild the same image (composefs-image.md §3.7 and
 * composefs-image.md §2.12), judged from the source tree alone; empty when it must.
 */
export function roundTripHazards(src: Node): string[] {
  const hazards = new Set<string>();
  // Hardlinks: the loader makes the first path in depth-first name order the primary.
  const seen = new Set<Node>();
  const stack = [src];
  while (stack.length) {
    const n = stack.pop()!;
    let target = n;
    while (target.linkTo) target = target.linkTo;
    if (!seen.has(target)) {
      seen.add(target);
      if (target !== n) hazards.add('hardlink primary is not the first path in depth-first order');
    }
    if (!n.linkTo) stack.push(...sortedChildren(n).reverse());
  }
  for (const n of seen) {
    for (const { key, value } of n.xattrs) {
      const k = str(key);
      if (k === 'trusted.overlay.whiteout' && typeOf(n) === S_IFREG) hazards.add('trusted.overlay.whiteout on a file reads back as a whiteout');
      if (['trusted.overlay.whiteouts', 'user.overlay.whiteout', 'user.overlay.whiteouts'].includes(k)) hazards.add(`${k} is dropped on read`);
      if (value.length === 0 && WRITER_PREFIXES.includes(k)) hazards.add('an empty last inline xattr entry is not read');
    }
    if (isExternal(n) && n.payload && (4 + 16 + 1 + n.payload.length) % 4 === 0) hazards.add('redirect read quirk');
  }
  return [...hazards];
}
