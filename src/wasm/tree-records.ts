/**
 * Encodes a caller's tree (src/tree/tree.ts) as the records assembly/composefs/tree-records.ts
 * decodes (the layout is documented there): nodes in pre-order with children in insertion order
 * (the writer sorts), in chunks of whole records. An alias whose target is not in the tree is
 * refused here, as the writer would (spec composefs-image.md §2.9 P4). Every node is first held to
 * the limits the dumpfile parser enforces (src/composefs/dumpfile/parse.ts), refused with the
 * parser's reason (code ETREE, the node's path as the field) before a record is sent: names, integer
 * ranges, inline content and payload sizes, symlink targets, and the xattr budget.
 */
import { CfsError } from '../errors.js';
import { INLINE_CONTENT_MAX, MAX_NAME_LENGTH, PATH_MAX } from '../formats/erofs.js';
import { writeError } from './write-error.js';
import { isLnk, type Node } from '../tree/tree.js';
import { preorder } from '../tree/walk.js';
import { refusedXattr } from '../formats/xattr-budget.js';
import { RECORD, RECORD_DIGEST_SIZE, RECORD_FIXED_SIZE, RECORD_HAS_CHILDREN, RECORD_HAS_DIGEST, RECORD_NO_PARENT } from './abi.js';

/** A chunk is sent once it holds this many bytes. */
const CHUNK = 1 << 18;

const decoder = new TextDecoder();
const SLASH = 0x2f;
const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

/** The writer's name for an entry in errors: its directory's path, then the name. */
function where(n: Node): string {
  return `${decoder.decode(n.parent ? n.parent.path() : Uint8Array.of(0x2f))} entry ${decoder.decode(n.name)}`;
}

/** The refusal of a node the dumpfile parser would refuse, with the parser's reason (composefs-image.md §3.5 order), or null. */
function limitRefusal(n: Node): CfsError | null {
  try {
    checkLimits(n);
    return null;
  } catch (err) {
    if (err instanceof CfsError) return err;
    throw err;
  }
}

/** The refusal of the first node in dumpfile order (pre-order, children by name), as the parser meets them. */
function firstRefusal(root: Node): CfsError | null {
  for (const { node } of preorder(root)) {
    const refusal = limitRefusal(node);
    if (refusal) return refusal;
  }
  return null;
}

function checkLimits(n: Node): void {
  const fail = (reason: string, detail?: string): never => {
    const path = decoder.decode(n.parent ? n.path() : Uint8Array.of(SLASH));
    throw new CfsError(reason, { field: detail ? `${path}: ${detail}` : path, code: 'ETREE' });
  };
  const name = n.name;
  // "." and ".." children are accepted, as lcfs_node_add_child does (they replace the writer's own)
  if (n.parent) {
    if (name.length === 0 || name.length > MAX_NAME_LENGTH || name.includes(SLASH) || name.includes(0)) fail("Can't add child");
  }
  if (n.linkTo) return; // an alias is written with its target's fields
  for (const [field, v] of [['NLINK', n.nlink], ['UID', n.uid], ['GID', n.gid], ['RDEV', n.rdev], ['MTIME', n.mtimeNsec]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX) fail(`Invalid integer ${v}`, field);
  }
  if (n.size < 0n || n.size > U64_MAX) fail(`Invalid integer ${n.size}`, 'SIZE');
  const content = n.content;
  const payload = n.payload;
  if (isLnk(n.mode)) {
    if (!payload || payload.length === 0 || payload.length >= PATH_MAX || payload.includes(0)) fail('Invalid symlink', 'PAYLOAD');
  } else {
    if (payload && (payload.length >= PATH_MAX || payload.includes(0))) fail('Invalid payload', 'PAYLOAD');
    if (content && content.length > INLINE_CONTENT_MAX) fail(`Inline content size ${content.length} exceeds maximum ${INLINE_CONTENT_MAX}`, 'CONTENT');
  }
  const refused = refusedXattr(n.xattrs);
  if (refused) fail("Can't set xattr", `xattr ${decoder.decode(refused.key)}`);
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
  let size = RECORD_FIXED_SIZE + n.name.length + 4 + (n.payload?.length ?? 0) + 4 + (n.content?.length ?? 0) + (n.digest ? RECORD_DIGEST_SIZE : 0) + 4;
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
    const refusal = limitRefusal(n);
    if (refusal) throw firstRefusal(root) ?? refusal;
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
    if (n.digest && n.digest.length !== RECORD_DIGEST_SIZE) throw writeError('EINVAL', where(n), `fs-verity digest of ${n.digest.length} bytes`);
    const field = (offset: number, v: number) => view.setUint32(at + offset, v >>> 0, true);
    field(RECORD.parent, parents[i] < 0 ? RECORD_NO_PARENT : parents[i]);
    field(RECORD.linkTo, link);
    field(RECORD.flags, (n.children ? RECORD_HAS_CHILDREN : 0) | (n.digest ? RECORD_HAS_DIGEST : 0));
    field(RECORD.mode, n.mode);
    field(RECORD.nlink, n.nlink);
    field(RECORD.uid, n.uid);
    field(RECORD.gid, n.gid);
    field(RECORD.rdev, n.rdev);
    field(RECORD.mtimeNsec, n.mtimeNsec);
    view.setBigInt64(at + RECORD.mtimeSec, BigInt.asIntN(64, n.mtimeSec), true);
    view.setBigUint64(at + RECORD.size, BigInt.asUintN(64, n.size), true);
    field(RECORD.nameLength, n.name.length);
    at += RECORD_FIXED_SIZE;
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
