/**
 * Prints a tree as a composefs dumpfile, byte for byte as `composefs-info dump` does
 * (tools/composefs-info.c dump_node; composefs-image.md §3.7): depth-first pre-order, children in name order,
 * a hardlink alias printed with its target's fields, `@` before the mode and the target's path
 * as PAYLOAD.
 */
import { Node } from '../../tree/tree.js';
import { cString } from './unescape.js';
import { preorder, targetPath } from '../../tree/walk.js';
import { ByteSink, ESCAPE_EQUAL, ESCAPE_LONE_DASH, ESCAPE_STANDARD } from './escape.js';

const CHUNK = 1 << 16;
const ROOT_PATH = Uint8Array.of(0x2f);

/** The dump as chunks of about 64 KiB, for streaming a large tree. */
export function* dumpChunks(root: Node): Generator<Uint8Array> {
  const out = new ByteSink();
  for (const { node, path } of preorder(root)) {
    dumpLine(out, node, path.length === 0 ? ROOT_PATH : path);
    if (out.length >= CHUNK) yield out.take();
  }
  if (out.length > 0) yield out.take();
}

/** The whole dump as one byte array, or as text with 'utf8' (a dump is ASCII: names are escaped). */
export function printDump(root: Node): Uint8Array;
export function printDump(root: Node, encoding: 'utf8'): string;
export function printDump(root: Node, encoding?: 'utf8'): Uint8Array | string {
  const chunks = [...dumpChunks(root)];
  const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  return encoding ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') : bytes;
}

function dumpLine(out: ByteSink, node: Node, path: Uint8Array): void {
  const target = node.linkTo ?? node;
  out.escaped(path, ESCAPE_STANDARD);
  out.byte(0x20);
  out.u64(target.size);
  out.byte(0x20);
  if (node.linkTo) out.byte(0x40);
  out.integer(target.mode >>> 0, 8);
  out.byte(0x20);
  out.integer(target.nlink >>> 0);
  out.byte(0x20);
  out.integer(target.uid >>> 0);
  out.byte(0x20);
  out.integer(target.gid >>> 0);
  out.byte(0x20);
  out.integer(target.rdev >>> 0);
  out.byte(0x20);
  out.i64(target.mtimeSec);
  out.byte(0x2e);
  out.integer(target.mtimeNsec >>> 0);
  out.byte(0x20);
  // PAYLOAD: the alias's target path, else the payload; both C strings.
  const payload = node.linkTo ? targetPath(target) : target.payload;
  optional(out, payload && cString(payload));
  out.byte(0x20);
  // CONTENT is printed with the node's size as its length (C passes st_size, a uint64_t).
  const content = target.content;
  const size = Number(target.size); // exact when below the content's length
  optional(out, content && (size >= 0 && size < content.length ? content.subarray(0, size) : content));
  out.byte(0x20);
  if (target.digest) out.hex(target.digest);
  else out.byte(0x2d);
  for (const { key, value } of target.xattrs) {
    out.byte(0x20);
    out.escaped(cString(key), ESCAPE_EQUAL);
    out.byte(0x3d);
    out.escaped(value, ESCAPE_EQUAL);
  }
  out.byte(0x0a);
}

function optional(out: ByteSink, val: Uint8Array | null): void {
  if (val === null) out.byte(0x2d);
  else out.escaped(val, ESCAPE_LONE_DASH);
}
