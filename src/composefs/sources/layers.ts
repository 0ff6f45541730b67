/**
 * Tar layers as trees, and OCI layer semantics (image-spec layer.md "Whiteouts"): each layer is
 * first built as its own tree, then merged onto the layers below it. `.wh.NAME` removes NAME from
 * the lower layers and `.wh..wh..opq` hides every lower child of its directory; both apply to
 * lower layers only (never to entries of the same layer) and never appear in the result.
 * Directories named only as parents of other entries ("implicit") keep the lower layer's metadata,
 * or get the default (0755 root:root, mtime 0) when new.
 */
import { isDir, isLnk, Node, S_IFDIR } from '../../tree/tree.js';
import { CfsError, type ErrorPlace } from '../../errors.js';
import { MAX_NAME_LENGTH } from '../../formats/erofs.js';

const SLASH = 0x2f;
const DOT = 0x2e;
const WHITEOUT_PREFIX = Buffer.from('.wh.');
const WHITEOUT_META_PREFIX = Buffer.from('.wh..wh.');
const OPAQUE_MARKER = Buffer.from('.wh..wh..opq');
export const DEFAULT_DIR_MODE = S_IFDIR | 0o755;

/** A new directory with the default metadata (root of a tar without a `./` entry, implicit parents). */
export function defaultDir(name: Uint8Array): Node {
  return new Node(name, DEFAULT_DIR_MODE);
}

/**
 * Splits an entry path into names: empty and `.` components dropped, so `./a//b/` is `a/b` and
 * `./` is the root. Absolute paths, `..`, NUL bytes and names over 255 bytes are refused.
 */
export function splitEntryPath(path: Uint8Array, place: ErrorPlace): Uint8Array[] {
  const fail = (why: string): never => {
    throw new CfsError(why, { ...place, code: 'ETAR' });
  };
  if (path.length === 0) fail('empty path');
  if (path.includes(0)) fail('NUL byte in path');
  if (path[0] === SLASH) fail('absolute path');
  const names: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path[i] !== SLASH) continue;
    const name = path.subarray(start, i);
    start = i + 1;
    if (name.length === 0 || (name.length === 1 && name[0] === DOT)) continue;
    if (name.length === 2 && name[0] === DOT && name[1] === DOT) fail("'..' in path");
    if (name.length > MAX_NAME_LENGTH) fail(`name longer than ${MAX_NAME_LENGTH} bytes`);
    names.push(name.slice());
  }
  return names;
}

const startsWith = (name: Uint8Array, prefix: Uint8Array): boolean =>
  name.length >= prefix.length && prefix.every((b, i) => name[i] === b);
const equals = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && startsWith(a, b);

/** One layer's own tree plus its whiteouts, before it is merged onto the lower layers. */
export class LayerTree {
  readonly root = defaultDir(new Uint8Array(0));
  private readonly implicit = new Set<Node>([this.root]);
  private readonly opaque = new Set<Node>();
  private readonly whiteouts = new Map<Node, Uint8Array[]>();

  /**
   * Classifies the entry at `names`: a whiteout is recorded and returns null; otherwise returns
   * the parent directory (created implicitly as needed) and the entry's name (null = the root).
   */
  place(names: Uint8Array[], where: ErrorPlace): { parent: Node; name: Uint8Array | null } | null {
    if (names.length === 0) return { parent: this.root, name: null };
    const parent = this.parentDir(names, where);
    const last = names[names.length - 1];
    if (!startsWith(last, WHITEOUT_PREFIX)) return { parent, name: last };
    if (equals(last, OPAQUE_MARKER)) {
      this.opaque.add(parent);
    } else if (!startsWith(last, WHITEOUT_META_PREFIX)) {
      // `.wh..wh.*` other than the opaque marker is AUFS bookkeeping, ignored as Docker does.
      const hidden = last.slice(WHITEOUT_PREFIX.length);
      if (hidden.length === 0) throw new CfsError('whiteout without a name', { ...where, code: 'ETAR' });
      const list = this.whiteouts.get(parent);
      if (list) list.push(hidden);
      else this.whiteouts.set(parent, [hidden]);
    }
    return null;
  }

  /** Puts `node` at parent/name: a directory over a directory updates its metadata, anything else replaces. */
  insert(parent: Node, node: Node): void {
    const old = parent.lookup(node.name);
    if (old && isDir(old.mode) && isDir(node.mode)) {
      copyDirMetadata(node, old);
      this.implicit.delete(old);
      return;
    }
    if (old) parent.removeChild(node.name);
    parent.addChild(node);
  }

  /** Sets the layer root's metadata from a `./` entry. */
  setRoot(node: Node): void {
    copyDirMetadata(node, this.root);
    this.implicit.delete(this.root);
  }

  /** The layer's entry at `names`, if any (for hard links to earlier entries of the same layer). */
  lookup(names: Uint8Array[], where: ErrorPlace): Node | undefined {
    return lookupPath(this.root, names, where);
  }

  private parentDir(names: Uint8Array[], where: ErrorPlace): Node {
    let dir = this.root;
    for (let i = 0; i < names.length - 1; i++) {
      if (startsWith(names[i], WHITEOUT_PREFIX)) {
        throw new CfsError('whiteout name used as a directory', { ...where, code: 'ETAR' });
      }
      let next = dir.lookup(names[i]);
      if (!next) {
        next = defaultDir(names[i]);
        dir.addChild(next);
        this.implicit.add(next);
      } else if (!isDir(next.mode)) {
        throw new CfsError(`path goes through a ${isLnk(next.mode) ? 'symlink' : 'non-directory'}`, { ...where, code: 'ETAR' });
      }
      dir = next;
    }
    return dir;
  }

  /**
   * Merges this layer onto `base` (the lower layers, modified in place): opaque directories drop
   * their lower children, whiteouts remove lower entries, then this layer's entries are added.
   */
  mergeInto(base: Node, file: string): void {
    const stack: { lower: Node; upper: Node }[] = [{ lower: base, upper: this.root }];
    while (stack.length > 0) {
      const { lower, upper } = stack.pop()!;
      if (!this.implicit.has(upper)) copyDirMetadata(upper, lower);
      if (this.opaque.has(upper)) for (const c of [...lower.children!]) lower.removeChild(c.name);
      for (const name of this.whiteouts.get(upper) ?? []) lower.removeChild(name);
      for (const child of [...upper.children!]) {
        const old = lower.lookup(child.name);
        if (old && isDir(old.mode) && isDir(child.mode)) {
          stack.push({ lower: old, upper: child });
          continue;
        }
        if (old && this.implicit.has(child)) {
          throw new CfsError(`path goes through a ${isLnk(old.mode) ? 'symlink' : 'non-directory'} of a lower layer`, {
            file,
            field: Buffer.from(old.path()).toString('latin1'),
            code: 'ETAR',
          });
        }
        upper.removeChild(child.name);
        if (old) lower.removeChild(child.name);
        lower.addChild(child);
      }
    }
  }
}

/** Follows `names` from `root` without following symlinks; a non-directory on the way is an error. */
export function lookupPath(root: Node, names: Uint8Array[], where: ErrorPlace): Node | undefined {
  let node: Node | undefined = root;
  for (let i = 0; i < names.length && node; i++) {
    if (!isDir(node.mode)) {
      throw new CfsError(`path goes through a ${isLnk(node.mode) ? 'symlink' : 'non-directory'}`, { ...where, code: 'ETAR' });
    }
    node = node.lookup(names[i]);
  }
  return node;
}

function copyDirMetadata(from: Node, to: Node): void {
  to.mode = from.mode;
  to.uid = from.uid;
  to.gid = from.gid;
  to.mtimeSec = from.mtimeSec;
  to.mtimeNsec = from.mtimeNsec;
  to.xattrs = from.xattrs;
}
