/**
 * Writer pass P4 (`lcfs_compute_tree`, spec composefs-image.md §2.9): breadth-first inode order,
 * directory link counts, xattrs in key order, the image's minimum mtime, the ACL flag, and
 * hardlink resolution.
 */
import { equalBytes, Node } from '../tree';
import { decodeText, utf8 } from './bytes';
import { XATTR_POSIX_ACL_ACCESS, XATTR_POSIX_ACL_DEFAULT } from '../../contract/erofs';
import { HAS_CHILDREN, Inodes, OWN_DIR, PRIMARY, writeFail } from './inode';
import { XattrLists } from './xattrs';

const ACL_ACCESS = utf8(XATTR_POSIX_ACL_ACCESS);
const ACL_DEFAULT = utf8(XATTR_POSIX_ACL_DEFAULT);

export class TreeOrder {
  constructor(
    public inodes: Inodes,
    /** Inode ids in BFS order; position = i_ino. */
    public bfs: StaticArray<i32>,
    public minMtimeSec: i64,
    public minMtimeNsec: u32,
    public hasAcl: bool,
  ) {}
}

/** Where dirent `d` of inode `id` is, for error messages. */
function direntWhere(t: Inodes, id: i32, d: i32): string {
  return t.describe(id) + ' entry ' + decodeText(unchecked(t.direntName[d]));
}

/** Follows an alias chain to the node owning the inode; a cycle is ELOOP (C `follow_links`). */
function followLinks(t: Inodes, id: i32, d: i32, alias: Node): Node {
  let n = alias;
  // C only notices a cycle through the start; a longer walk than the tree can hold is one too.
  for (let steps = 0, next = n.linkTo; next; steps++, next = n.linkTo) {
    n = next;
    if (n === alias || steps > 1 << 24) writeFail('ELOOP', direntWhere(t, id, d), 'hardlink cycle');
  }
  return n;
}

function hasAclXattr(x: XattrLists, id: i32): bool {
  for (let r = unchecked(x.start[id]), end = r + unchecked(x.count[id]); r < end; r++) {
    const key = unchecked(x.key[r]);
    if (equalBytes(key, ACL_ACCESS) || equalBytes(key, ACL_DEFAULT)) return true;
  }
  return false;
}

/** Every alias names the inode of the node its chain ends at, which must be in this tree. */
function resolveAliases(t: Inodes, bfs: StaticArray<i32>): void {
  const byNode = new Map<usize, i32>();
  for (let id = 0; id < t.count; id++) {
    const n = unchecked(t.node[id]);
    if (n) byNode.set(changetype<usize>(n), id);
  }
  for (let i = 0, k = bfs.length; i < k; i++) {
    const id = unchecked(bfs[i]);
    for (let d = unchecked(t.direntStart[id]), end = unchecked(t.direntEnd[id]); d < end; d++) {
      const alias = unchecked(t.direntAlias[d]);
      if (!alias) continue;
      const key = changetype<usize>(followLinks(t, id, d, alias));
      if (!byNode.has(key)) writeFail('EINVAL', direntWhere(t, id, d), 'hardlink target is not in the tree');
      unchecked(t.direntTarget[d] = byNode.get(key));
    }
  }
}

export function computeTree(t: Inodes): TreeOrder {
  const bfs = new StaticArray<i32>(t.count);
  const x = t.xattrs;
  let queued = 1;
  let minSec = unchecked(t.mtimeSec[0]);
  let minNsec = unchecked(t.mtimeNsec[0]);
  let hasAcl = false;
  for (let i = 0; i < queued; i++) {
    const id = unchecked(bfs[i]);
    if (unchecked(t.flags[id]) & HAS_CHILDREN) writeFail('EINVAL', t.describe(id), 'a non-directory has children');
    const end = unchecked(t.direntEnd[id]);
    if (end >= 0) {
      let nlink: u32 = 2;
      for (let d = unchecked(t.direntStart[id]); d < end; d++) {
        const flags = unchecked(t.direntFlags[d]);
        if (flags & OWN_DIR) nlink++;
        if (flags & PRIMARY) unchecked(bfs[queued++] = t.direntTarget[d]);
      }
      unchecked(t.nlink[id] = nlink);
    }
    const count = unchecked(x.count[id]);
    if (count > 1) x.sortByKey(id);
    const sec = unchecked(t.mtimeSec[id]);
    const nsec = unchecked(t.mtimeNsec[id]);
    if (sec < minSec || (sec == minSec && nsec < minNsec)) {
      minSec = sec;
      minNsec = nsec;
    }
    if (!hasAcl && count > 0) hasAcl = hasAclXattr(x, id);
  }
  // Every inode is some directory's primary entry: queued == t.count.
  if (t.hasAliases) resolveAliases(t, bfs);
  return new TreeOrder(t, bfs, minSec, minNsec, hasAcl);
}
