/**
 * An ostree commit as a composefs tree (spec ostree.md §5.2, what `_ostree_repo_checkout_composefs`
 * builds): directories from dirtree + dirmeta, regular files and symlinks from content objects,
 * ownership, modes and xattrs as ostree stores them, mtimes 0, one inode per path. Regular file
 * content goes through the same policy as the other sources (inline up to 64 bytes, else
 * fs-verity digest + `XX/REST` payload, copied into the store when given), checked against the
 * content checksum on the way. Like ostree, the root gets the mount points usr, etc, boot, var and
 * sysroot (0:0, 0o40755) when the commit lacks them.
 */
import { CfsError } from '../errors.js';
import { Node, S_IFDIR } from '../tree/tree.js';
import { fillContent } from '../composefs/sources/content.js';
import { mapLimit } from '../composefs/sources/dir.js';
import type { SourceOptions } from '../composefs/sources/options.js';
import { readCommit } from './commit.js';
import { contentChunks, readContentObject, verifySymlink } from './content.js';
import { decodeDirMeta, decodeDirTree, type Commit, type DirMeta, type DirTree } from './formats.js';
import { readMetadata } from './objects.js';
import type { Repo } from './repo.js';

/** Mount points ostree adds to a composefs image root (ostree.md §5.2). */
export const ROOT_MOUNT_POINTS = ['usr', 'etc', 'boot', 'var', 'sysroot'];
/** Deeper than any real tree; bounds the walk over a hostile repo. */
const MAX_DEPTH = 4096;
const CONTENT_CONCURRENCY = 8;

export interface CheckoutOptions extends Pick<SourceOptions, 'store' | 'progress'> {
  /** Add ostree's root mount points (default true). */
  mountPoints?: boolean;
}

export async function checkoutTree(repo: Repo, rev: string, opts: CheckoutOptions = {}): Promise<{ checksum: string; commit: Commit; root: Node }> {
  const { checksum, commit } = readCommit(repo, rev);
  const trees = new Map<string, DirTree>();
  const metas = new Map<string, DirMeta>();
  const files: { node: Node; checksum: string }[] = [];
  const dirNode = (name: Uint8Array, meta: string): Node => {
    let m = metas.get(meta);
    if (!m) metas.set(meta, (m = decodeDirMeta(readMetadata(repo, 'dirmeta', meta, true), meta)));
    const node = new Node(name, m.mode);
    node.uid = m.uid;
    node.gid = m.gid;
    for (const x of m.xattrs) node.setXattr(x.name, x.value);
    return node;
  };
  const root = dirNode(new Uint8Array(0), commit.rootMeta);
  const stack: { node: Node; tree: string; depth: number }[] = [{ node: root, tree: commit.rootTree, depth: 0 }];
  while (stack.length > 0) {
    const { node, tree, depth } = stack.pop()!;
    if (depth > MAX_DEPTH) throw new CfsError('directory tree too deep', { field: `dirtree ${tree}`, code: 'EOBJECT' });
    let t = trees.get(tree);
    if (!t) trees.set(tree, (t = decodeDirTree(readMetadata(repo, 'dirtree', tree, true), tree)));
    for (const d of t.dirs) {
      const child = dirNode(utf8(d.name), d.meta);
      addChild(node, child, d.name);
      stack.push({ node: child, tree: d.tree, depth: depth + 1 });
    }
    for (const f of t.files) {
      const child = new Node(utf8(f.name), 0);
      addChild(node, child, f.name);
      files.push({ node: child, checksum: f.checksum });
    }
  }
  if (opts.mountPoints ?? true) {
    for (const name of ROOT_MOUNT_POINTS) if (!root.lookup(utf8(name))) root.addChild(new Node(utf8(name), S_IFDIR | 0o755));
  }
  await mapLimit(files, CONTENT_CONCURRENCY, async ({ node, checksum: object }) => {
    const obj = await readContentObject(repo, object);
    node.mode = obj.mode;
    node.uid = obj.uid;
    node.gid = obj.gid;
    for (const x of obj.xattrs) node.setXattr(x.name, x.value);
    if (obj.target !== null) {
      verifySymlink(obj);
      node.payload = obj.target;
      node.size = BigInt(obj.target.length);
    } else {
      await fillContent(node, contentChunks(obj), obj.size, { file: obj.path, code: 'EOBJECT' }, opts.store ?? null);
    }
    opts.progress?.advance(1, Number(obj.size));
  });
  return { checksum, commit, root };
}

function addChild(parent: Node, child: Node, name: string): void {
  if (!parent.addChild(child)) throw new CfsError(`duplicate entry '${name}'`, { field: 'dirtree', code: 'EOBJECT' });
}

const encoder = new TextEncoder();
const utf8 = (s: string): Uint8Array => encoder.encode(s);
