/**
 * Writer pass P4 (`lcfs_compute_tree`, spec composefs-image.md §2.9): breadth-first inode
 * order, directory link counts, xattrs in key order, the image's minimum mtime, the ACL flag,
 * and hardlink resolution.
 */
import { equalBytes } from '../bytes.js';
import { compareBytes, isDir, type Node } from '../tree.js';
import { XATTR_POSIX_ACL_ACCESS, XATTR_POSIX_ACL_DEFAULT } from './format.js';
import { WInode, writeError } from './inode.js';

const enc = new TextEncoder();
const ACL_ACCESS = enc.encode(XATTR_POSIX_ACL_ACCESS);
const ACL_DEFAULT = enc.encode(XATTR_POSIX_ACL_DEFAULT);

export interface TreeOrder {
  /** Every inode in BFS order; index = i_ino. */
  inodes: WInode[];
  minMtimeSec: bigint;
  minMtimeNsec: number;
  hasAcl: boolean;
}

/** Follows an alias chain to the node owning the inode; a cycle is ELOOP (C `follow_links`). */
function followLinks(alias: Node, where: () => string): Node {
  let n = alias;
  // C only notices a cycle through the start; a longer walk than the tree can hold is one too.
  for (let steps = 0; n.linkTo; steps++) {
    n = n.linkTo;
    if (n === alias || steps > 1 << 24) throw writeError('ELOOP', where(), 'hardlink cycle');
  }
  return n;
}

export function computeTree(root: WInode, byNode: Map<Node, WInode>): TreeOrder {
  const inodes: WInode[] = [root];
  let minSec = root.mtimeSec;
  let minNsec = root.mtimeNsec;
  let hasAcl = false;
  for (let i = 0; i < inodes.length; i++) {
    const w = inodes[i];
    if (!isDir(w.mode) && w.node?.children?.length) throw writeError('EINVAL', w.describe(), 'a non-directory has children');
    if (w.dirents) {
      let nlink = 2;
      for (const d of w.dirents) {
        if (isDir(d.ownMode)) nlink++;
        if (d.primary) inodes.push(d.target!);
      }
      w.nlink = nlink;
    }
    if (w.xattrs.length > 1) w.ownXattrs().sort((a, b) => compareBytes(a.key, b.key));
    if (w.mtimeSec < minSec || (w.mtimeSec === minSec && w.mtimeNsec < minNsec)) {
      minSec = w.mtimeSec;
      minNsec = w.mtimeNsec;
    }
    w.index = i;
    if (!hasAcl && w.xattrs.length > 0) hasAcl = w.xattrs.some((x) => equalBytes(x.key, ACL_ACCESS) || equalBytes(x.key, ACL_DEFAULT));
  }
  // Every alias must resolve to an inode of this tree.
  for (const w of inodes) {
    if (!w.dirents) continue;
    for (const d of w.dirents) {
      if (!d.alias) continue;
      const where = () => `${w.describe()} entry ${new TextDecoder().decode(d.name)}`;
      const target = byNode.get(followLinks(d.alias, where));
      if (!target) throw writeError('EINVAL', where(), 'hardlink target is not in the tree');
      d.target = target;
    }
  }
  return { inodes, minMtimeSec: minSec, minMtimeNsec: minNsec, hasAcl };
}
