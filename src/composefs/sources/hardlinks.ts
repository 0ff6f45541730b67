/**
 * Hardlink groups in a finished tree. Which entry owns the inode decides its place in the
 * image (spec composefs-image.md §2.9 P4 note), so every source makes the same choice: the
 * first entry in depth-first name order (the one `composefs-info dump` prints without `@`,
 * composefs-image.md §3.7) owns the inode, the others are aliases (`linkTo`), and nlink = number of entries.
 * An inode whose owning entry was replaced or whited out lives on in its remaining aliases.
 */
import { compareBytes, Node } from '../../tree/tree.js';

export function finalizeHardlinks(root: Node): void {
  const linked = linkedInodes(root);
  if (linked.size === 0) return;
  const groups = new Map<Node, Node[]>();
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children) {
      const sorted = [...n.children].sort((a, b) => compareBytes(b.name, a.name));
      stack.push(...sorted);
      continue;
    }
    const owner = n.target;
    if (!linked.has(owner)) continue;
    const g = groups.get(owner);
    if (g) g.push(n);
    else groups.set(owner, [n]);
  }
  for (const [owner, entries] of groups) {
    const primary = entries[0];
    if (entries.length === 1 && primary === owner) continue;
    if (primary !== owner) {
      copyInode(owner, primary);
      primary.linkTo = null;
    }
    primary.nlink = entries.length;
    for (let i = 1; i < entries.length; i++) makeAlias(entries[i], primary);
  }
}

/** The inodes some alias points at; only their entries are grouped (an unsorted walk: order does not matter here). */
function linkedInodes(root: Node): Set<Node> {
  const owners = new Set<Node>();
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children) {
      for (const c of n.children) stack.push(c);
    } else if (n.linkTo) {
      owners.add(n.linkTo);
    }
  }
  return owners;
}

/** An alias is a dirent only: the file type of its target, no inode fields (tree.ts). */
function makeAlias(n: Node, target: Node): void {
  copyInode(new Node(n.name, target.mode), n);
  n.nlink = 1;
  n.linkTo = target;
}

/** Copies the inode fields (everything but the dirent) from one node to another. */
function copyInode(from: Node, to: Node): void {
  to.mode = from.mode;
  to.uid = from.uid;
  to.gid = from.gid;
  to.rdev = from.rdev;
  to.mtimeSec = from.mtimeSec;
  to.mtimeNsec = from.mtimeNsec;
  to.size = from.size;
  to.payload = from.payload;
  to.content = from.content;
  to.digest = from.digest;
  to.xattrs = from.xattrs;
}
