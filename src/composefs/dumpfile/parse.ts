/**
 * Dumpfile parser (composefs-dump(5); spec composefs-image.md §3): text lines in, a tree of
 * Nodes out, with the checks of C `mkcomposefs --from-file` in the same order and with the same
 * messages (composefs-image.md §3.5), strict mode as `CFS_PARSE_STRICT` (§3.6). Works on bytes throughout.
 */
import { ByteSlab, equalBytes, hexValue } from '../bytes.js';
import { budgetAfterSet, BUDGET_REFUSED, DUMP_XATTR_TEXT_MAX, INLINE_CONTENT_MAX, MAX_NAME_LENGTH, PATH_MAX } from '../../formats/erofs.js';
import { isDevice, isDir, isLnk, isValidType, Node } from '../../tree/tree.js';
import { dumpError, type DumpQuote } from '../../wasm/dump-error.js';
import * as R from '../../wasm/dump-reasons.js';
import {
  F_CONTENT, F_DIGEST, F_GID, F_MODE, F_MTIME, F_NLINK, F_NONE, F_PATH, F_PAYLOAD, F_RDEV, F_SIZE, F_UID, F_XATTR_KEY, F_XATTRS,
} from '../../wasm/dump-reasons.js';
import { EQUALS, findIn, SPACE, splitFields } from './fields.js';
import { parseU32, parseUnsigned, toI64 } from './integer.js';
import { cString, unescape, UnescapeError } from './unescape.js';

export interface ParseDumpOptions {
  /** CFS_PARSE_STRICT semantics (composefs-image.md §3.6): the four extra checks. */
  strict?: boolean;
  /** Input name for error messages ("-" for stdin). */
  file?: string;
}

const NL = 0x0a;
const SLASH = 0x2f;
const DASH = 0x2d;
const DOT = 0x2e;
const AT = 0x40;
const BACKSLASH = 0x5c;
const DIGEST_HEX_LENGTH = 64;

interface PendingLink {
  node: Node;
  target: Uint8Array | null;
  line: number;
}

/** Builds the tree line by line; `finish()` resolves hardlinks (composefs-image.md §3.4). */
class DumpBuilder {
  private root: Node | null = null;
  private readonly links: PendingLink[] = [];
  /** Start/end of the 11 fixed fields of the current line. */
  private readonly fs = new Int32Array(22);
  /** Directories by the exact bytes of their PATH (FNV-1a buckets; the root is ""): parent lookups without walking. */
  private readonly dirs = new Map<number, { prefix: Uint8Array; node: Node }[]>();
  /** Every byte string the tree keeps is copied here: the tree never holds on to the input. */
  private readonly slab = new ByteSlab();
  /** Copies needed only while parsing (directory paths, hardlink targets). */
  private readonly scratch = new ByteSlab();
  /** Xattr keys and values repeat across lines: one array per distinct byte string. */
  private readonly interned = new Interner(this.slab);
  lines = 0;
  private nulBuf: Uint8Array | null = null;
  private nulPos = -1;

  constructor(private readonly strict: boolean, private readonly file: string | undefined) {}

  /** Refuses `line` (0: the whole input) for `reason` (a DUMP_* code) in field `field` (F_*). */
  fail(reason: number, line: number, field: number, quote?: DumpQuote): never {
    throw dumpError(reason, { file: this.file, line }, field, quote);
  }

  private unescapeField(buf: Uint8Array, f: number, line: number): Uint8Array {
    try {
      return unescape(buf, this.fs[2 * f], this.fs[2 * f + 1]);
    } catch (e) {
      if (e instanceof UnescapeError) this.fail(e.reason, line, f, { a: e.byte });
      throw e;
    }
  }

  /** An optional field: `-` means absent (composefs-image.md §3.1). */
  private optionalField(buf: Uint8Array, f: number, line: number): Uint8Array | null {
    const s = this.fs[2 * f];
    if (this.fs[2 * f + 1] - s === 1 && buf[s] === DASH) return null;
    return this.unescapeField(buf, f, line);
  }

  private invalidInteger(buf: Uint8Array, start: number, end: number, line: number, field: number): never {
    this.fail(R.DUMP_INVALID_INTEGER, line, field, { bytes: buf.subarray(start, end) });
  }

  /** A u32 field (NLINK, UID, GID, RDEV). */
  private u32(buf: Uint8Array, f: number, line: number): number {
    const v = parseU32(buf, this.fs[2 * f], this.fs[2 * f + 1], 10);
    return v >= 0 ? v : this.invalidInteger(buf, this.fs[2 * f], this.fs[2 * f + 1], line, f);
  }

  /** A u64 field (SIZE, MTIME seconds). */
  private u64(buf: Uint8Array, start: number, end: number, line: number, field: number): bigint {
    return parseUnsigned(buf, start, end, 10) ?? this.invalidInteger(buf, start, end, line, field);
  }

  /** Processes one line buf[start, end) without its newline (composefs-image.md §3.5). */
  line(buf: Uint8Array, start: number, end: number, line: number): void {
    this.lines++;
    // The first NUL at or after `start`, found natively once per buffer rather than per line.
    if (buf !== this.nulBuf || (this.nulPos >= 0 && this.nulPos < start)) {
      this.nulBuf = buf;
      this.nulPos = buf.indexOf(0, start);
    }
    if (this.nulPos >= 0 && this.nulPos < end) this.fail(R.DUMP_EMBEDDED_NUL, line, F_NONE, { a: this.nulPos - start });

    const fs = this.fs;
    const restStart = splitFields(buf, start, end, fs);

    const path = cString(this.unescapeField(buf, F_PATH, line));
    if (path.length === 0) this.fail(R.DUMP_EMPTY_PATH, line, F_PATH);

    let ms = fs[2 * F_MODE];
    const hardlink = ms < fs[2 * F_MODE + 1] && buf[ms] === AT;
    if (hardlink) ms++;
    const mode = parseU32(buf, ms, fs[2 * F_MODE + 1], 8);
    if (mode < 0) this.invalidInteger(buf, ms, fs[2 * F_MODE + 1], line, F_MODE);
    if (!isValidType(mode)) this.fail(R.DUMP_INVALID_MODE, line, F_MODE, { a: mode });

    const node = this.insert(path, mode, line);

    if (hardlink) {
      if (isDir(mode)) this.fail(R.DUMP_DIRECTORY_HARDLINK, line, F_MODE);
      const target = this.optionalField(buf, F_PAYLOAD, line);
      this.links.push({ node, target: target && this.scratch.copy(cString(target)), line });
      return;
    }
    this.inodeFields(node, mode, buf, restStart, end, line);
  }

  /**
   * The fields of a non-hardlink line after PATH and MODE (composefs-image.md §3.5 steps 7-14). A method of its own:
   * in a cold process two smaller functions are optimized sooner than one large one.
   */
  private inodeFields(node: Node, mode: number, buf: Uint8Array, restStart: number, end: number, line: number): void {
    const fs = this.fs;
    const size = this.u64(buf, fs[2 * F_SIZE], fs[2 * F_SIZE + 1], line, F_SIZE);
    const nlink = this.u32(buf, F_NLINK, line);
    const uid = this.u32(buf, F_UID, line);
    // C quirk (composefs-image.md §3.5 step 7): a bad GID or RDEV is only reported when UID is 0, else taken as 0.
    const lenient = uid !== 0 || parseUnsigned(buf, fs[2 * F_UID], fs[2 * F_UID + 1], 10) !== 0n;
    let gid = parseU32(buf, fs[2 * F_GID], fs[2 * F_GID + 1], 10);
    if (gid < 0) gid = lenient ? 0 : this.u32(buf, F_GID, line);
    let rdev = parseU32(buf, fs[2 * F_RDEV], fs[2 * F_RDEV + 1], 10);
    if (rdev < 0) rdev = lenient ? 0 : this.u32(buf, F_RDEV, line);
    const rdevNonZero = rdev !== 0 || (parseUnsigned(buf, fs[2 * F_RDEV], fs[2 * F_RDEV + 1], 10) ?? 0n) !== 0n;

    const ts = fs[2 * F_MTIME], te = fs[2 * F_MTIME + 1];
    let secEnd = ts;
    while (secEnd < te && buf[secEnd] !== DOT) secEnd++;
    const nsecStart = secEnd < te ? secEnd + 1 : te;
    const sec = this.u64(buf, ts, secEnd, line, F_MTIME);
    const nsec = parseU32(buf, nsecStart, te, 10);
    if (nsec < 0) this.invalidInteger(buf, nsecStart, te, line, F_MTIME);

    const rawPayload = this.optionalField(buf, F_PAYLOAD, line);
    const payload = rawPayload && this.slab.copy(cString(rawPayload));
    const rawContent = this.optionalField(buf, F_CONTENT, line);
    const content = rawContent && this.slab.copy(rawContent);
    if (content && BigInt(content.length) !== size) {
      this.fail(R.DUMP_CONTENT_SIZE, line, F_CONTENT, { a: content.length, b: size });
    }
    const digestText = this.optionalField(buf, F_DIGEST, line);

    if (this.strict && !isDevice(mode) && rdevNonZero) this.fail(R.DUMP_DEVNUM, line, F_RDEV);

    node.size = size;
    if (isLnk(mode)) {
      if (!payload || payload.length === 0 || payload.length >= PATH_MAX) this.fail(R.DUMP_INVALID_SYMLINK, line, F_PAYLOAD);
      if (this.strict && size !== BigInt(payload.length)) {
        this.fail(R.DUMP_SYMLINK_SIZE, line, F_SIZE, { a: payload.length, b: size });
      }
      if (this.strict && content && content.length > 0) this.fail(R.DUMP_SYMLINK_CONTENT, line, F_CONTENT);
      node.size = BigInt(payload.length);
    } else {
      if (payload && payload.length >= PATH_MAX) this.fail(R.DUMP_INVALID_PAYLOAD, line, F_PAYLOAD);
      if (content && content.length > INLINE_CONTENT_MAX) {
        this.fail(R.DUMP_INLINE_TOO_LARGE, line, F_CONTENT, { a: content.length, b: INLINE_CONTENT_MAX });
      }
      node.content = content;
    }

    if (end - restStart > DUMP_XATTR_TEXT_MAX) this.fail(R.DUMP_TOO_MANY_XATTRS, line, F_XATTRS);
    this.xattrs(node, buf, restStart, end, line);

    node.nlink = nlink;
    node.uid = uid;
    node.gid = gid;
    node.rdev = rdev;
    node.mtimeSec = toI64(sec);
    node.mtimeNsec = nsec;
    node.payload = payload;
    if (digestText) node.digest = parseDigest(digestText);
  }

  /** KEY=VALUE fields with the per-node budget of composefs-image.md §2.11 (step 14). */
  private xattrs(node: Node, buf: Uint8Array, start: number, end: number, line: number): void {
    let total = 0;
    const xs = node.xattrs;
    for (let p = start; p < end;) {
      const q = findIn(buf, SPACE, p, end);
      const eq = findIn(buf, EQUALS, p, q);
      if (eq === q) this.fail(R.DUMP_MISSING_EQUALS, line, F_XATTRS);
      let key: Uint8Array, value: Uint8Array;
      try {
        key = this.interned.get(buf, p, eq, true);
        value = this.interned.get(buf, eq + 1, q, false);
      } catch (e) {
        if (e instanceof UnescapeError) this.fail(e.reason, line, F_XATTRS, { a: e.byte });
        throw e;
      }
      let old = -1;
      while (++old < xs.length && !equalBytes(xs[old].key, key));
      const replaced = old < xs.length;
      const next = budgetAfterSet(total, xs.length, key.length, value.length, replaced ? xs[old].value.length : -1);
      if (next === BUDGET_REFUSED) this.fail(R.DUMP_CANNOT_SET_XATTR, line, F_XATTR_KEY, { bytes: key });
      total = next;
      if (replaced) xs[old] = { key, value };
      else xs.push({ key, value });
      p = q + 1;
    }
  }

  /** Creates the node for PATH and links it into the tree (composefs-image.md §3.5 step 5). */
  private insert(path: Uint8Array, mode: number, line: number): Node {
    if (path.length === 1 && path[0] === SLASH) {
      if (!isDir(mode)) this.fail(R.DUMP_ROOT_NOT_DIRECTORY, line, F_MODE);
      if (this.root) this.fail(R.DUMP_MULTIPLE_ROOTS, line, F_PATH);
      this.root = new Node(new Uint8Array(0), mode);
      this.rememberDir(this.root.name, fnv1a(this.root.name, 0, 0), this.root);
      return this.root;
    }
    if (!this.root) this.fail(R.DUMP_NO_ROOT, line, F_PATH);
    const slash = path.lastIndexOf(SLASH);
    const name = this.slab.copy(path, slash + 1);
    const parent = this.parentOf(path, slash < 0 ? 0 : slash, line);
    if (!isDir(parent.mode)) this.fail(R.DUMP_PARENT_NOT_DIRECTORY, line, F_PATH, { bytes: path });
    if ((name.length === 1 && name[0] === DOT) || (name.length === 2 && name[0] === DOT && name[1] === DOT)) {
      this.fail(R.DUMP_DOT_NAME, line, F_PATH, { bytes: path });
    }
    const node = new Node(name, mode);
    if (name.length === 0 || name.length > MAX_NAME_LENGTH || !parent.addChild(node)) {
      this.fail(R.DUMP_CANNOT_ADD_CHILD, line, F_PATH);
    }
    // Its children's lines will name PATH as their parent.
    if (isDir(mode)) this.rememberDir(this.scratch.copy(path), fnv1a(path, 0, path.length), node);
    return node;
  }

  /** The directory path[0, slash) holding the last component of `path`: every component before it must exist. */
  private parentOf(path: Uint8Array, slash: number, line: number): Node {
    const h = fnv1a(path, 0, slash);
    const bucket = this.dirs.get(h);
    if (bucket) {
      for (const e of bucket) {
        const prefix = e.prefix;
        if (prefix.length !== slash) continue;
        let i = 0;
        while (i < slash && prefix[i] === path[i]) i++;
        if (i === slash) return e.node;
      }
    }
    const prefix = path.subarray(0, slash);
    const node = walk(this.root!, prefix);
    if (!node) this.fail(R.DUMP_PARENT_MISSING, line, F_PATH, { bytes: path });
    if (isDir(node.mode)) this.rememberDir(this.scratch.copy(prefix), h, node);
    return node;
  }

  /** Remembers a directory under the bytes of a path naming it; `hash` is their FNV-1a. */
  private rememberDir(prefix: Uint8Array, hash: number, node: Node): void {
    const bucket = this.dirs.get(hash);
    if (bucket) bucket.push({ prefix, node });
    else this.dirs.set(hash, [{ prefix, node }]);
  }

  /** Resolves hardlinks in reverse order of their lines (composefs-image.md §3.4, §3.5 step 15). */
  finish(): Node {
    if (!this.root) this.fail(R.DUMP_NO_FILES, 0, F_NONE);
    for (let i = this.links.length - 1; i >= 0; i--) {
      const { node, target, line } = this.links[i];
      if (!target) this.fail(R.DUMP_NO_LINK_TARGET, line, F_PAYLOAD);
      const t = walk(this.root, target);
      if (!t) this.fail(R.DUMP_LINK_TARGET_MISSING, line, F_PAYLOAD, { bytes: target });
      if (t === node) this.fail(R.DUMP_SELF_LINK, line, F_PAYLOAD, { bytes: target });
      node.linkTo = t;
    }
    return this.root;
  }
}

/** Follows the components of `path` from `root`, skipping empty ones. */
function walk(root: Node, path: Uint8Array): Node | undefined {
  let node: Node | undefined = root;
  let p = 0;
  while (node && p < path.length) {
    if (path[p] === SLASH) {
      p++;
      continue;
    }
    let q = p;
    while (q < path.length && path[q] !== SLASH) q++;
    node = node.lookup(path.subarray(p, q));
    p = q;
  }
  return node;
}

/** Distinct unescaped byte strings by FNV-1a, so repeated xattr keys and values share one array. */
class Interner {
  private readonly table = new Map<number, Uint8Array>();

  constructor(private readonly slab: ByteSlab) {}
  /** Bound on remembered strings: unique values (e.g. per-file ACLs) are not worth keeping. */
  private static readonly LIMIT = 1 << 14;

  /** The unescaped bytes of buf[start, end) (cut at a NUL when `cstr`), shared with equal earlier ones. */
  get(buf: Uint8Array, start: number, end: number, cstr: boolean): Uint8Array {
    let b = buf;
    let s = start;
    let e = end;
    let i = start;
    while (i < end && buf[i] !== BACKSLASH) i++;
    if (i < end) {
      b = cstr ? cString(unescape(buf, start, end)) : unescape(buf, start, end);
      s = 0;
      e = b.length;
    }
    const h = fnv1a(b, s, e);
    const hit = this.table.get(h);
    if (hit && hit.length === e - s) {
      let j = 0;
      while (j < hit.length && hit[j] === b[s + j]) j++;
      if (j === hit.length) return hit;
    }
    const out = this.slab.copy(b, s, e);
    if (!hit && this.table.size < Interner.LIMIT) this.table.set(h, out);
    return out;
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of b[start, end), kept in Smi range for Map keys. */
function fnv1a(b: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return h & 0x3fffffff;
}

/**
 * C's digest_to_raw, whose result C ignores (FORMAT.md "DIGEST field"): the first 64 digits of the
 * unescaped field are the digest, whatever follows; a field that does not start with 64 hex
 * digits (C leaves undefined bytes) gives no digest.
 */
function parseDigest(hex: Uint8Array): Uint8Array | null {
  if (hex.length < DIGEST_HEX_LENGTH) return null;
  const out = new Uint8Array(DIGEST_HEX_LENGTH / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(hex[2 * i]);
    const lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Feeds complete lines of buf[start, end) to the builder; returns where the unfinished tail starts. */
function feedLines(b: DumpBuilder, buf: Uint8Array, start: number, end: number, firstLine: number): number {
  let p = start;
  let line = firstLine;
  for (;;) {
    const nl = buf.indexOf(NL, p);
    if (nl < 0 || nl >= end) return p;
    b.line(buf, p, nl, line++);
    p = nl + 1;
  }
}

function finishTail(b: DumpBuilder, tail: Uint8Array, strict: boolean): void {
  if (tail.length === 0) return;
  // A final line without "\n": processed, except in strict mode (composefs-image.md §3.5).
  if (strict) b.fail(R.DUMP_MISSING_NEWLINE, b.lines + 1, F_NONE);
  b.line(tail, 0, tail.length, b.lines + 1);
}

/**
 * Parses a whole dumpfile held in memory: bytes, or text (encoded as UTF-8). The tree does not
 * alias the input (its bytes are copied).
 */
export function parseDump(text: Uint8Array | string, opts: ParseDumpOptions = {}): Node {
  const input = typeof text === 'string' ? new Uint8Array(Buffer.from(text, 'utf8')) : text;
  const strict = opts.strict ?? false;
  const b = new DumpBuilder(strict, opts.file);
  const tail = feedLines(b, input, 0, input.length, 1);
  finishTail(b, input.subarray(tail), strict);
  return b.finish();
}

/** Parses a dumpfile from a stream of chunks (stdin, a file stream) without holding it whole. */
export async function parseDumpStream(input: AsyncIterable<Uint8Array>, opts: ParseDumpOptions = {}): Promise<Node> {
  const strict = opts.strict ?? false;
  const b = new DumpBuilder(strict, opts.file);
  // Chunks of the unfinished line; joined only once a newline arrives (no quadratic copying).
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  for await (const chunk of input) {
    if (chunk.indexOf(NL) < 0) {
      pending.push(new Uint8Array(chunk));
      pendingLength += chunk.length;
      continue;
    }
    // The unfinished line and this chunk, joined.
    const buf = new Uint8Array(pendingLength + chunk.length);
    let off = 0;
    for (const p of pending) {
      buf.set(p, off);
      off += p.length;
    }
    buf.set(chunk, off);
    const tail = feedLines(b, buf, 0, buf.length, b.lines + 1);
    pending = tail < buf.length ? [buf.subarray(tail)] : [];
    pendingLength = buf.length - tail;
  }
  const tail = new Uint8Array(pendingLength);
  let off = 0;
  for (const p of pending) {
    tail.set(p, off);
    off += p.length;
  }
  finishTail(b, tail, strict);
  return b.finish();
}
