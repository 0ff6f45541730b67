/**
 * Writer pass P4 (`lcfs_compute_tree`, spec composefs-image.md §2.9): breadth-first inode
 * order, directory link counts, xattrs in key order, the image's minimum mtime, the ACL flag,
 * and hardlink resolution.
 */
import { equalBytes } from '../bytes.js';
import { compareBytes, isDir, type Node } from '../tree.js';
import { XATTR_POSIX_ACL_ACCESS, XATTR_POSIX_ACL_DEFAULT } from './format.js';
import { type Inodes, writeError } from './inode.js';

const enc = new TextEncoder();
const ACL_ACCESS = enc.encode(XATTR_POSIX_ACL_ACCESS);
const ACL_DEFAULT = enc.encode(XATTR_POSIX_ACL_DEFAULT);

export interface TreeOrder {
  inodes: Inodes;
  /** Inode ids in BFS order; position = i_ino. */
  bfs: Int32Array;
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

/** Sorts an inode's xattrs by key, copying the caller's array first when it is out of order. */
function sortXattrs(t: Inodes, id: number): void {
  const xs = t.xattrs[id];
  for (let i = 1; i < xs.length; i++) {
    if (compareBytes(xs[i - 1].key, xs[i].key) > 0) {
      t.ownXattrs(id).sort((a, b) => compareBytes(a.key, b.key));
      return;
    }
  }
}

export function computeTree(t: Inodes, byNode: Map<Node, number>): TreeOrder {
  const bfs = new Int32Array(t.count);
  let queued = 1;
  let minSec = t.mtimeSec(0);
  let minNsec = t.mtimeNsec(0);
  let hasAcl = false;
  for (let i = 0; i < queued; i++) {
    const id = bfs[i];
    const mode = t.mode[id];
    if (!isDir(mode) && t.node[id]?.children?.length) throw writeError('EINVAL', t.describe(id), 'a non-directory has children');
    const end = t.direntEnd[id];
    if (end >= 0) {
      let nlink = 2;
      for (let d = t.direntStart[id]; d < end; d++) {
        if (isDir(t.direntOwnMode[d])) nlink++;
        if (t.direntPrimary[d]) bfs[queued++] = t.direntTarget[d];
      }
      t.nlink[id] = nlink;
    }
    const xs = t.xattrs[id];
    if (xs.length > 1) sortXattrs(t, id);
    const sec = t.mtimeSec(id);
    const nsec = t.mtimeNsec(id);
    if (sec < minSec || (sec === minSec && nsec < minNsec)) {
      minSec = sec;
      minNsec = nsec;
    }
    if (!hasAcl && xs.length > 0) hasAcl = xs.some((x) => equalBytes(x.key, ACL_ACCESS) || equalBytes(x.key, ACL_DEFAULT));
  }
  // Every alias must resolve to an inode of this tree.
  if (t.aliases.size > 0) {
    for (let i = 0; i < queued; i++) {
      const id = bfs[i];
      for (let d = t.direntStart[id]; d < t.direntEnd[id]; d++) {
        const alias = t.aliases.get(d);
        if (!alias) continue;
        const where = () => `${t.describe(id)} entry ${new TextDecoder().decode(t.direntName[d])}`;
        const target = byNode.get(followLinks(alias, where));
        if (target === undefined) throw writeError('EINVAL', where(), 'hardlink target is not in the tree');
        t.direntTarget[d] = target;
      }
    }
  }
  return { inodes: t, bfs: bfs.subarray(0, queued), minMtimeSec: minSec, minMtimeNsec: minNsec, hasAcl };
}
