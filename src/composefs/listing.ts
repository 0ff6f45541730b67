/**
 * The `composefs-info ls` and `objects` views of a tree (tools/composefs-info.c print_node,
 * get_objects; composefs-image.md §4.2).
 */
import { Node, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, compareBytes, nameKey } from '../tree/tree.js';
import { cString } from './dumpfile/unescape.js';
import { preorder } from '../tree/walk.js';
import { ByteSink, ESCAPE_STANDARD, NOESCAPE_SPACE } from './dumpfile/escape.js';

const CHUNK = 1 << 16;
const EMPTY = new Uint8Array(0);

/**
 * `ls`: every node but the root, pre-order; directories end in "/\t", symlinks get
 * "\t-> TARGET", external files "\t@ PAYLOAD". A hardlink alias has no type of its own
 * (C's loader gives it mode 0), so it prints the path alone.
 */
export function* lsChunks(root: Node): Generator<Uint8Array> {
  const out = new ByteSink();
  for (const { node, path } of preorder(root)) {
    if (node === root) continue;
    out.escaped(path, NOESCAPE_SPACE);
    const type = node.linkTo ? 0 : node.mode & S_IFMT;
    if (type === S_IFDIR) {
      out.text('/\t');
    } else if (type === S_IFLNK) {
      out.text('\t-> ');
      out.escaped(cString(node.payload ?? EMPTY), ESCAPE_STANDARD);
    } else if (type === S_IFREG && node.payload) {
      out.text('\t@ ');
      out.escaped(cString(node.payload), ESCAPE_STANDARD);
    }
    out.byte(0x0a);
    if (out.length >= CHUNK) yield out.take();
  }
  if (out.length > 0) yield out.take();
}

/** Adds the backing paths of the regular files of a tree (not aliases) to `into`, keyed by bytes. */
export function collectObjects(root: Node, into: Map<string, Uint8Array>): void {
  for (const { node } of preorder(root)) {
    if (node.linkTo || (node.mode & S_IFMT) !== S_IFREG || !node.payload) continue;
    const payload = cString(node.payload);
    const key = nameKey(payload);
    if (!into.has(key)) into.set(key, payload);
  }
}

/** Object paths in strcmp order. */
export function sortedObjects(objects: Iterable<Uint8Array>): Uint8Array[] {
  return [...objects].sort(compareBytes);
}
