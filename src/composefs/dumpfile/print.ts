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
const HEX = '0123456789abcdef';

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
  out.text(
    ` ${BigInt.asUintN(64, target.size)} ${node.linkTo ? '@' : ''}${(target.mode >>> 0).toString(8)}` +
      ` ${target.nlink >>> 0} ${target.uid >>> 0} ${target.gid >>> 0} ${target.rdev >>> 0}` +
      ` ${BigInt.asIntN(64, target.mtimeSec)}.${target.mtimeNsec >>> 0} `,
  );
  // PAYLOAD: the alias's target path, else the payload; both C strings.
  const payload = node.linkTo ? targetPath(target) : target.payload;
  optional(out, payload && cString(payload));
  out.byte(0x20);
  // CONTENT is printed with the node's size as its length (C passes st_size).
  const content = target.content;
  optional(out, content && content.subarray(0, Number(BigInt.asUintN(64, target.size) < BigInt(content.length) ? target.size : content.length)));
  if (target.digest) {
    out.byte(0x20);
    let hex = '';
    for (const b of target.digest) hex += HEX[b >> 4] + HEX[b & 15];
    out.text(hex);
  } else {
    out.text(' -');
  }
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
