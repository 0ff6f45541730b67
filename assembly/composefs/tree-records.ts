/**
 * A caller's tree (src/tree/tree.ts Node, from a directory, tar, OCI or ostree source) as
 * records, encoded by src/wasm/tree-records.ts: nodes in pre-order, parents before children,
 * each (little-endian):
 *   the fixed part (RECORD_* offsets, RECORD_FIXED_SIZE bytes): u32 parent index
 *   (RECORD_NO_PARENT: the root), u32 linkTo index + 1 (0: none), u32 flags (RECORD_HAS_CHILDREN:
 *   has a children list, RECORD_HAS_DIGEST: digest follows), u32 mode, nlink, uid, gid, rdev,
 *   mtimeNsec, i64 mtimeSec, u64 size, u32 name length; then the name   u32 payload length + 1 (0: none), payload   u32 content length + 1, content
 *   [RECORD_DIGEST_SIZE-byte digest]   u32 xattr count, then per xattr: u32 key length, key, u32 value length, value
 * No validation happens here: the writer checks the tree as it checks a parsed one (an alias
 * target outside the tree is refused by the encoder, which has the caller's objects).
 */
import {
  RECORD_DIGEST_SIZE,
  RECORD_FIXED_SIZE,
  RECORD_FLAGS,
  RECORD_GID,
  RECORD_HAS_CHILDREN,
  RECORD_HAS_DIGEST,
  RECORD_LINK_TO,
  RECORD_MODE,
  RECORD_MTIME_NSEC,
  RECORD_MTIME_SEC,
  RECORD_NAME_LENGTH,
  RECORD_NLINK,
  RECORD_NO_PARENT,
  RECORD_PARENT,
  RECORD_RDEV,
  RECORD_SIZE,
  RECORD_UID,
} from '../contract/abi';
import { Node, Xattr } from './tree';

let buf: usize = 0;
let cap: usize = 0;
const nodes = new Array<Node>();
const links = new Array<u32>();

/** A buffer for `len` bytes of whole records. */
export function recordBuffer(len: usize): usize {
  if (len > cap) {
    cap = len;
    buf = heap.alloc(cap);
  }
  return buf;
}

function bytes(p: usize, len: u32): Uint8Array {
  const b = new Uint8Array(len);
  memory.copy(b.dataStart, p, len);
  return b;
}

/** Decodes `len` bytes of whole records from `recordBuffer`. */
export function feedRecords(len: usize): void {
  let p = buf;
  const end = buf + len;
  while (p < end) {
    const parent = load<u32>(p, RECORD_PARENT);
    const linkTo = load<u32>(p, RECORD_LINK_TO);
    const flags = load<u32>(p, RECORD_FLAGS);
    const mode = load<u32>(p, RECORD_MODE);
    const nameLen = load<u32>(p, RECORD_NAME_LENGTH);
    const node = new Node(bytes(p + RECORD_FIXED_SIZE, nameLen), mode);
    node.nlink = load<u32>(p, RECORD_NLINK);
    node.uid = load<u32>(p, RECORD_UID);
    node.gid = load<u32>(p, RECORD_GID);
    node.rdev = load<u32>(p, RECORD_RDEV);
    node.mtimeNsec = load<u32>(p, RECORD_MTIME_NSEC);
    node.mtimeSec = load<i64>(p, RECORD_MTIME_SEC);
    node.size = load<u64>(p, RECORD_SIZE);
    p += RECORD_FIXED_SIZE + nameLen;
    const payload = load<u32>(p);
    p += 4;
    if (payload) {
      node.payload = bytes(p, payload - 1);
      p += payload - 1;
    }
    const content = load<u32>(p);
    p += 4;
    if (content) {
      node.content = bytes(p, content - 1);
      p += content - 1;
    }
    if (flags & RECORD_HAS_DIGEST) {
      node.digest = bytes(p, RECORD_DIGEST_SIZE);
      p += RECORD_DIGEST_SIZE;
    }
    const count = load<u32>(p);
    p += 4;
    if (count) node.xattrs = new Array<Xattr>();
    for (let i: u32 = 0; i < count; i++) {
      const klen = load<u32>(p);
      const key = bytes(p + 4, klen);
      p += 4 + klen;
      const vlen = load<u32>(p);
      node.xattrs.push(new Xattr(key, bytes(p + 4, vlen)));
      p += 4 + vlen;
    }
    node.children = flags & RECORD_HAS_CHILDREN ? [] : null;
    if (parent != RECORD_NO_PARENT) {
      const up = nodes[parent];
      node.parent = up;
      let list = up.children;
      if (!list) {
        list = [];
        up.children = list;
      }
      list.push(node);
    }
    nodes.push(node);
    links.push(linkTo);
  }
}

/** The root, with every alias pointed at its target. */
export function finishRecords(): Node {
  for (let i = 0; i < nodes.length; i++) {
    const l = links[i];
    if (l) nodes[i].linkTo = nodes[l - 1];
  }
  return nodes[0];
}
