/**
 * Encodes a caller's tree (src/composefs/tree.ts) as the records assembly/composefs/tree-records.ts
 * decodes (the layout is documented there): nodes in pre-order with children in insertion order
 * (the writer sorts), in chunks of whole records. An alias whose target is not in the tree is
 * refused here, as the writer would (spec composefs-image.md §2.9 P4).
 */
import { writeError } from '../composefs/write-error.js';
import type { Node } from '../composefs/tree.js';

const HAS_CHILDREN = 1;
const HAS_DIGEST = 2;
const NONE = 0xffffffff;
const FIXED = 56;
/** fs-verity SHA-256 digest bytes. */
const DIGEST_SIZE = 32;
/** A chunk is sent once it holds this many bytes. */
const CHUNK = 1 << 18;

const decoder = new TextDecoder();

/** The writer's name for an entry in errors: its directory's path, then the name. */
function where(n: Node): string {
  return `${decoder.decode(n.parent ? n.parent.path() : Uint8Array.of(0x2f))} entry ${decoder.decode(n.name)}`;
}

/** The nodes in pre-order and each one's index. */
function number(root: Node): { nodes: Node[]; parents: Int32Array; index: Map<Node, number> } {
  const nodes: Node[] = [];
  const parentOf: number[] = [];
  const stack: [Node, number][] = [[root, -1]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    parentOf.push(parent);
    const id = nodes.push(node) - 1;
    const children = node.children;
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], id]);
  }
  const index = new Map<Node, number>();
  nodes.forEach((n, i) => index.set(n, i));
  return { nodes, parents: Int32Array.from(parentOf), index };
}

function recordSize(n: Node): number {
  let size = FIXED + n.name.length + 4 + (n.payload?.length ?? 0) + 4 + (n.content?.length ?? 0) + (n.digest ? DIGEST_SIZE : 0) + 4;
  for (const x of n.xattrs) size += 8 + x.key.length + x.value.length;
  return size;
}

/** The records of `root`'s tree, in chunks of whole records. */
export function* treeRecords(root: Node): Generator<Uint8Array> {
  const { nodes, parents, index } = number(root);
  let buf = new Uint8Array(CHUNK * 2);
  let view = new DataView(buf.buffer);
  let at = 0;
  const u32 = (v: number) => {
    view.setUint32(at, v >>> 0, true);
    at += 4;
  };
  const raw = (b: Uint8Array) => {
    buf.set(b, at);
    at += b.length;
  };
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const need = recordSize(n);
    if (at + need > buf.length) {
      if (at > 0) yield buf.slice(0, at);
      at = 0;
      if (need > buf.length) {
        buf = new Uint8Array(need);
        view = new DataView(buf.buffer);
      }
    }
    let link = 0;
    if (n.linkTo) {
      const target = index.get(n.linkTo);
      if (target === undefined) throw writeError('EINVAL', where(n), 'hardlink target is not in the tree');
      link = target + 1;
    }
    if (n.digest && n.digest.length !== DIGEST_SIZE) throw writeError('EINVAL', where(n), `fs-verity digest of ${n.digest.length} bytes`);
    u32(parents[i] < 0 ? NONE : parents[i]);
    u32(link);
    u32((n.children ? HAS_CHILDREN : 0) | (n.digest ? HAS_DIGEST : 0));
    u32(n.mode);
    u32(n.nlink);
    u32(n.uid);
    u32(n.gid);
    u32(n.rdev);
    u32(n.mtimeNsec);
    view.setBigInt64(at, BigInt.asIntN(64, n.mtimeSec), true);
    view.setBigUint64(at + 8, BigInt.asUintN(64, n.size), true);
    at += 16;
    u32(n.name.length);
    raw(n.name);
    u32(n.payload ? n.payload.length + 1 : 0);
    if (n.payload) raw(n.payload);
    u32(n.content ? n.content.length + 1 : 0);
    if (n.content) raw(n.content);
    if (n.digest) raw(n.digest);
    u32(n.xattrs.length);
    for (const x of n.xattrs) {
      u32(x.key.length);
      raw(x.key);
      u32(x.value.length);
      raw(x.value);
    }
    if (at >= CHUNK) {
      yield buf.slice(0, at);
      at = 0;
    }
  }
  if (at > 0) yield buf.slice(0, at);
}
