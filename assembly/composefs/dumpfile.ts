/**
 * Dumpfile parser in Wasm (composefs-dump(5); spec composefs-image.md §3): a port of
 * src/composefs/dumpfile/parse.ts with the same accept/reject decisions and the same tree, strict
 * mode as `CFS_PARSE_STRICT` (composefs-image.md §3.6). Input arrives in chunks (`inputBuffer` + `feed`); a line
 * spanning chunks is carried over. Invalid input fails with FAIL_DUMP (error.ts): the line, the
 * reason and field (assembly/contract/dump-reasons.ts, from src/wasm/dump-reasons.ts) and what the message quotes, so JS words the error
 * exactly as the TypeScript parser does without parsing again.
 */
import * as R from '../contract/dump-reasons';
import {
  F_CONTENT, F_DIGEST, F_GID, F_MODE, F_MTIME, F_NLINK, F_NONE, F_PATH, F_PAYLOAD, F_RDEV, F_SIZE, F_UID, F_XATTR_KEY, F_XATTRS,
} from '../contract/dump-reasons';
import { failDump } from './error';
import { parsedValue, parseUnsigned } from './dumpfile/integer';
import { decodeDigest, DIGEST_SIZE } from './dumpfile/digest';
import {
  carriedNul, fieldEnd, fieldStart, findNewline, lineHasBackslash, refuseNul, scanLine, splitFields, xattrStart,
} from './dumpfile/lines';
import { ByteSlab } from './dumpfile/slab';
import { ChildTable, hashBytes, Interner, PathTable } from './dumpfile/tables';
import { cStringLength, escapeByte, escapeRefusal, findBackslash, unescapeTo } from './dumpfile/unescape';
import { equalMemory, isDevice, isDir, isLnk, isValidType, Node, Xattr } from './tree';
import { budgetAfterSet, BUDGET_REFUSED, DUMP_XATTR_TEXT_MAX, INLINE_CONTENT_MAX, MAX_NAME_LENGTH, PATH_MAX } from '../contract/erofs';

const SPACE: u32 = 0x20;
const SLASH: u32 = 0x2f;
const DASH: u32 = 0x2d;
const DOT: u32 = 0x2e;
const AT: u32 = 0x40;
const EQUALS: u32 = 0x3d;
const MIN_BUFFER: usize = 1 << 16;
const MAX_BUFFER: usize = 1 << 30;

let strict = false;
let root: Node | null = null;
/** Lines processed so far. */
let lineNo: i32 = 0;

/** Input: the carried unfinished line at `inBuf`, then the chunk being fed. */
let inBuf: usize = 0;
let inCap: usize = 0;
let carry: usize = 0;
/** Unescaped fields of the current line, each at its own offset from `lineStart` (never longer than the escaped text). */
let scratch: usize = 0;
let scratchCap: usize = 0;
let lineStart: usize = 0;
/** The last unescaped field. */
let fieldPtr: usize = 0;
let fieldLen: i32 = 0;
let fieldEscaped = false;

const slab = new ByteSlab();
const dirs = new PathTable();
/** A `dirs` entry: the directory the last lines went into (consecutive lines mostly share it). */
let lastParentKey: Uint8Array | null = null;
let lastParent: Node | null = null;
const children = new ChildTable();
const interned = new Interner();
/** Hardlinks, resolved by `finishDump` (composefs-image.md §3.4). */
const linkNodes = new Array<Node>();
const linkTargets = new Array<Uint8Array | null>();
const linkLines = new Array<i32>();

/** Refuses `line` (0: the whole input) for `reason` in `field` (codes of dump-reasons.ts). */
function reject(line: i32, reason: i32, field: i32): void {
  failDump(line, reason, field, 0, 0, 0, 0);
}

/** reject, quoting the `len` bytes at `ptr`. */
function rejectQuoting(line: i32, reason: i32, field: i32, ptr: usize, len: i32): void {
  failDump(line, reason, field, 0, 0, ptr, len);
}

/** reject, quoting two numbers. */
function rejectNumbers(line: i32, reason: i32, field: i32, a: u64, b: u64): void {
  failDump(line, reason, field, a, b, 0, 0);
}

/** "Invalid integer" for the text [s, e). */
function rejectInteger(line: i32, field: i32, s: usize, e: usize): void {
  rejectQuoting(line, R.DUMP_INVALID_INTEGER, field, s, <i32>(e - s));
}

/** Sets strict mode (CFS_PARSE_STRICT); call before the first chunk. */
export function beginDump(strictMode: bool): void {
  strict = strictMode;
}

/** Where the host writes the next `len` bytes of input (after the carried line). */
export function inputBuffer(len: usize): usize {
  const need = carry + len;
  // A line this long is beyond any real dumpfile (and buffer doubling would overflow): not a
  // dumpfile verdict, an internal failure.
  if (need > MAX_BUFFER) unreachable();
  if (need > inCap) {
    let cap = inCap * 2;
    if (cap < MIN_BUFFER) cap = MIN_BUFFER;
    while (cap < need) cap *= 2;
    const b = heap.alloc(cap);
    memory.copy(b, inBuf, carry);
    inBuf = b;
    inCap = cap;
  }
  return inBuf + carry;
}

/** Parses the complete lines of the carried line plus the `len` bytes written at `inputBuffer(len)`. */
export function feed(len: usize): void {
  const end = inBuf + carry + len;
  let p = inBuf;
  if (carry > 0) {
    // The carried line was scanned already: look for its end in the new bytes only.
    const nl = findNewline(inBuf, inBuf + carry, end, lineNo + 1);
    if (nl == end) {
      carry = end - inBuf;
      return;
    }
    splitFields(p, nl);
    parseLine(p, nl);
    p = nl + 1;
  }
  for (;;) {
    const nl = scanLine(p, end, lineNo + 1);
    if (nl == end) break;
    parseLine(p, nl);
    p = nl + 1;
  }
  carry = end - p;
  if (carry > 0 && p != inBuf) memory.copy(inBuf, p, carry);
}

/** The end of the input: the last line without "\n", then the hardlinks (composefs-image.md §3.5 step 15). Returns the root. */
export function finishDump(): Node {
  if (carry > 0) {
    // Processed, except in strict mode.
    if (strict) reject(lineNo + 1, R.DUMP_MISSING_NEWLINE, F_NONE);
    if (carriedNul >= 0) refuseNul(lineNo + 1, carriedNul);
    splitFields(inBuf, inBuf + carry);
    parseLine(inBuf, inBuf + carry);
    carry = 0;
  }
  const r = root;
  if (!r) {
    reject(0, R.DUMP_NO_FILES, F_NONE);
    return changetype<Node>(0);
  }
  // In reverse order of their lines, as C does.
  for (let i = linkNodes.length - 1; i >= 0; i--) {
    const node = unchecked(linkNodes[i]);
    const target = unchecked(linkTargets[i]);
    if (!target) {
      reject(unchecked(linkLines[i]), R.DUMP_NO_LINK_TARGET, F_PAYLOAD);
      continue;
    }
    const t = walk(r, target.dataStart, target.length);
    if (!t) rejectQuoting(unchecked(linkLines[i]), R.DUMP_LINK_TARGET_MISSING, F_PAYLOAD, target.dataStart, target.length);
    if (t === node) rejectQuoting(unchecked(linkLines[i]), R.DUMP_SELF_LINK, F_PAYLOAD, target.dataStart, target.length);
    node.linkTo = t;
  }
  return r;
}

/** Processes one line [s, e) without its newline, its fields found (composefs-image.md §3.5). */
function parseLine(s: usize, e: usize): void {
  lineNo++;
  const line = lineNo;
  lineStart = s;
  if (e - s > scratchCap) {
    scratchCap = e - s > MIN_BUFFER ? e - s : MIN_BUFFER;
    scratch = heap.alloc(scratchCap);
  }

  unescapeField(F_PATH, line);
  const pathPtr = fieldPtr;
  const pathLen = cStringField();
  if (pathLen == 0) reject(line, R.DUMP_EMPTY_PATH, F_PATH);

  let ms = fieldStart(F_MODE);
  const me = fieldEnd(F_MODE);
  const hardlink = ms < me && <u32>load<u8>(ms) == AT;
  if (hardlink) ms++;
  if (!parseUnsigned(ms, me, 8)) rejectInteger(line, F_MODE, ms, me);
  const mode = <u32>parsedValue;
  if (!isValidType(mode)) rejectNumbers(line, R.DUMP_INVALID_MODE, F_MODE, mode, 0);

  const node = insert(pathPtr, pathLen, mode, line);

  if (hardlink) {
    if (isDir(mode)) reject(line, R.DUMP_DIRECTORY_HARDLINK, F_MODE);
    linkNodes.push(node);
    linkTargets.push(optionalField(F_PAYLOAD, line) ? slab.copy(fieldPtr, cStringField()) : null);
    linkLines.push(line);
    return;
  }
  inodeFields(node, mode, xattrStart, e, line);
}

/** Unescapes [s, e) of the current line, part of `field`, into `fieldPtr`/`fieldLen` (the input itself when there is no escape). */
// @ts-ignore: decorator
@inline function unescapeRange(s: usize, e: usize, line: i32, field: i32): void {
  fieldEscaped = false;
  fieldPtr = s;
  fieldLen = <i32>(e - s);
  if (lineHasBackslash) unescapeEscaped(s, e, line, field);
}

/** unescapeRange of a line with a backslash. */
function unescapeEscaped(s: usize, e: usize, line: i32, field: i32): void {
  const b = findBackslash(s, e);
  if (b == e) return;
  fieldEscaped = true;
  const out = scratch + (s - lineStart);
  memory.copy(out, s, b - s);
  const n = unescapeTo(b, e, out + (b - s));
  if (n < 0) rejectNumbers(line, escapeRefusal, field, escapeByte, 0);
  fieldPtr = out;
  fieldLen = <i32>(b - s) + n;
}

/** The length of the last unescaped field as a C string (up to a NUL, which only an escape can make). */
// @ts-ignore: decorator
@inline function cStringField(): i32 {
  return fieldEscaped ? cStringLength(fieldPtr, fieldLen) : fieldLen;
}

// @ts-ignore: decorator
@inline function unescapeField(f: i32, line: i32): void {
  unescapeRange(fieldStart(f), fieldEnd(f), line, f);
}

/** An optional field: `-` means absent (composefs-image.md §3.1); otherwise unescaped into `fieldPtr`/`fieldLen`. */
// @ts-ignore: decorator
@inline function optionalField(f: i32, line: i32): bool {
  const s = fieldStart(f);
  if (fieldEnd(f) - s == 1 && <u32>load<u8>(s) == DASH) return false;
  unescapeField(f, line);
  return true;
}

/** A u64 field into `parsedValue`. */
// @ts-ignore: decorator
@inline function integerField(f: i32, line: i32): void {
  if (!parseUnsigned(fieldStart(f), fieldEnd(f), 10)) rejectInteger(line, f, fieldStart(f), fieldEnd(f));
}

/** The fields of a non-hardlink line after PATH and MODE (composefs-image.md §3.5 steps 7-14). */
function inodeFields(node: Node, mode: u32, restStart: usize, end: usize, line: i32): void {
  integerField(F_SIZE, line);
  const size = parsedValue;
  integerField(F_NLINK, line);
  const nlink = <u32>parsedValue;
  integerField(F_UID, line);
  const uid = parsedValue;
  // C quirk (composefs-image.md §3.5 step 7): a bad GID or RDEV is only reported when UID is 0, else taken as 0.
  const lenient = uid != 0;
  let gid: u32 = 0;
  if (parseUnsigned(fieldStart(F_GID), fieldEnd(F_GID), 10)) gid = <u32>parsedValue;
  else if (!lenient) rejectInteger(line, F_GID, fieldStart(F_GID), fieldEnd(F_GID));
  let rdev: u32 = 0;
  let rdevNonZero = false;
  if (parseUnsigned(fieldStart(F_RDEV), fieldEnd(F_RDEV), 10)) {
    rdev = <u32>parsedValue;
    rdevNonZero = parsedValue != 0;
  } else if (!lenient) rejectInteger(line, F_RDEV, fieldStart(F_RDEV), fieldEnd(F_RDEV));

  const ts = fieldStart(F_MTIME);
  const te = fieldEnd(F_MTIME);
  let secEnd = ts;
  while (secEnd < te && <u32>load<u8>(secEnd) != DOT) secEnd++;
  const nsecStart = secEnd < te ? secEnd + 1 : te;
  if (!parseUnsigned(ts, secEnd, 10)) rejectInteger(line, F_MTIME, ts, secEnd);
  const sec = parsedValue;
  if (!parseUnsigned(nsecStart, te, 10)) rejectInteger(line, F_MTIME, nsecStart, te);
  const nsec = <u32>parsedValue;

  const hasPayload = optionalField(F_PAYLOAD, line);
  const payloadPtr = fieldPtr;
  const payloadLen = hasPayload ? cStringField() : 0;
  const hasContent = optionalField(F_CONTENT, line);
  const contentPtr = fieldPtr;
  const contentLen = hasContent ? fieldLen : 0;
  if (hasContent && <u64>contentLen != size) rejectNumbers(line, R.DUMP_CONTENT_SIZE, F_CONTENT, contentLen, size);
  // A bad escape in DIGEST is reported here, in C's order; the field is unescaped again when parsed, last.
  if (lineHasBackslash) optionalField(F_DIGEST, line);

  if (strict && !isDevice(mode) && rdevNonZero) reject(line, R.DUMP_DEVNUM, F_RDEV);

  node.size = size;
  if (isLnk(mode)) {
    if (!hasPayload || payloadLen == 0 || payloadLen >= PATH_MAX) reject(line, R.DUMP_INVALID_SYMLINK, F_PAYLOAD);
    if (strict && size != <u64>payloadLen) rejectNumbers(line, R.DUMP_SYMLINK_SIZE, F_SIZE, payloadLen, size);
    if (strict && contentLen > 0) reject(line, R.DUMP_SYMLINK_CONTENT, F_CONTENT);
    node.size = <u64>payloadLen;
  } else {
    if (payloadLen >= PATH_MAX) reject(line, R.DUMP_INVALID_PAYLOAD, F_PAYLOAD);
    if (contentLen > INLINE_CONTENT_MAX) rejectNumbers(line, R.DUMP_INLINE_TOO_LARGE, F_CONTENT, contentLen, INLINE_CONTENT_MAX);
    if (hasContent) node.content = slab.copy(contentPtr, contentLen);
  }

  if (<i32>(end - restStart) > DUMP_XATTR_TEXT_MAX) reject(line, R.DUMP_TOO_MANY_XATTRS, F_XATTRS);
  if (restStart < end) xattrs(node, restStart, end, line);

  node.nlink = nlink;
  node.uid = <u32>uid;
  node.gid = gid;
  node.rdev = rdev;
  node.mtimeSec = <i64>sec;
  node.mtimeNsec = nsec;
  if (hasPayload) node.payload = slab.copy(payloadPtr, payloadLen);
  if (optionalField(F_DIGEST, line)) node.digest = parseDigest(fieldPtr, fieldLen);
}

/**
 * C's digest_to_raw, whose result C ignores (FORMAT.md "DIGEST field"): the first 64 digits of the
 * unescaped field are the digest, whatever follows; a field that does not start with 64 hex
 * digits (C leaves undefined bytes) gives no digest.
 */
function parseDigest(ptr: usize, len: i32): Uint8Array | null {
  if (len < 2 * DIGEST_SIZE) return null;
  const out = slab.alloc(DIGEST_SIZE);
  return decodeDigest(ptr, out.dataStart) ? out : null;
}

/** KEY=VALUE fields with the per-node budget of composefs-image.md §2.11 (step 14). */
function xattrs(node: Node, start: usize, end: usize, line: i32): void {
  let total: i32 = 0;
  const xs = new Array<Xattr>();
  node.xattrs = xs;
  for (let p = start; p < end;) {
    let q = p;
    while (q < end && <u32>load<u8>(q) != SPACE) q++;
    let eq = p;
    while (eq < q && <u32>load<u8>(eq) != EQUALS) eq++;
    if (eq == q) reject(line, R.DUMP_MISSING_EQUALS, F_XATTRS);
    unescapeRange(p, eq, line, F_XATTRS);
    const key = intern(fieldPtr, cStringField());
    unescapeRange(eq + 1, q, line, F_XATTRS);
    const value = intern(fieldPtr, fieldLen);
    let old = 0;
    const n = xs.length;
    while (old < n && !sameString(unchecked(xs[old]).key, key)) old++;
    const replaced = old < n;
    const next = budgetAfterSet(total, n, key.length, value.length, replaced ? unchecked(xs[old]).value.length : -1);
    if (next == BUDGET_REFUSED) rejectQuoting(line, R.DUMP_CANNOT_SET_XATTR, F_XATTR_KEY, key.dataStart, key.length);
    total = next;
    const x = new Xattr(key, value);
    if (replaced) unchecked(xs[old] = x);
    else xs.push(x);
    p = q + 1;
  }
}

function sameString(a: Uint8Array, b: Uint8Array): bool {
  if (a === b) return true;
  const n = a.length;
  if (n != b.length) return false;
  for (let i = 0; i < n; i++) if (load<u8>(a.dataStart + i) != load<u8>(b.dataStart + i)) return false;
  return true;
}

/** The `len` bytes at `ptr` as a kept string, shared with an equal earlier xattr key or value. */
function intern(ptr: usize, len: i32): Uint8Array {
  const h = hashBytes(ptr, len);
  const hit = interned.find(ptr, len, h);
  if (hit) return hit;
  const s = slab.copy(ptr, len);
  interned.remember(s, h);
  return s;
}

/** Creates the node for PATH and links it into the tree (composefs-image.md §3.5 step 5). */
function insert(pathPtr: usize, pathLen: i32, mode: u32, line: i32): Node {
  if (pathLen == 1 && <u32>load<u8>(pathPtr) == SLASH) {
    if (!isDir(mode)) reject(line, R.DUMP_ROOT_NOT_DIRECTORY, F_MODE);
    if (root) reject(line, R.DUMP_MULTIPLE_ROOTS, F_PATH);
    const r = new Node(new Uint8Array(0), mode);
    root = r;
    return r;
  }
  const r = root;
  if (!r) {
    reject(line, R.DUMP_NO_ROOT, F_PATH);
    return changetype<Node>(0);
  }
  let slash = pathLen - 1;
  while (slash >= 0 && <u32>load<u8>(pathPtr + slash) != SLASH) slash--;
  const nameLen = pathLen - slash - 1;
  // The parent path is path[0, slash); an empty one names the root.
  const parent = slash > 0 ? parentOf(r, pathPtr, pathLen, slash, line) : r;
  if (!isDir(parent.mode)) rejectQuoting(line, R.DUMP_PARENT_NOT_DIRECTORY, F_PATH, pathPtr, pathLen);
  const namePtr = pathPtr + slash + 1;
  if (nameLen > 0 && nameLen <= 2 && <u32>load<u8>(namePtr) == DOT && (nameLen == 1 || <u32>load<u8>(namePtr + 1) == DOT)) {
    rejectQuoting(line, R.DUMP_DOT_NAME, F_PATH, pathPtr, pathLen);
  }
  if (nameLen == 0 || nameLen > MAX_NAME_LENGTH) reject(line, R.DUMP_CANNOT_ADD_CHILD, F_PATH);
  const node = new Node(slab.copy(namePtr, nameLen), mode);
  if (!children.add(parent, node)) reject(line, R.DUMP_CANNOT_ADD_CHILD, F_PATH);
  // Its children's lines will name PATH as their parent.
  if (isDir(mode)) {
    const key = slab.copy(pathPtr, pathLen);
    dirs.set(key, hashBytes(pathPtr, pathLen), node);
    lastParentKey = key;
    lastParent = node;
  }
  return node;
}

/** The node named by path[0, slash): every component must exist. */
function parentOf(r: Node, pathPtr: usize, pathLen: i32, slash: i32, line: i32): Node {
  const k = lastParentKey;
  if (k && k.length == slash && equalMemory(k.dataStart, pathPtr, slash)) return lastParent!;
  const h = hashBytes(pathPtr, slash);
  const hit = dirs.get(pathPtr, slash, h);
  if (hit) {
    lastParentKey = dirs.foundKey;
    lastParent = hit;
    return hit;
  }
  const node = walk(r, pathPtr, slash);
  if (!node) {
    rejectQuoting(line, R.DUMP_PARENT_MISSING, F_PATH, pathPtr, pathLen);
    return changetype<Node>(0);
  }
  if (isDir(node.mode)) {
    const key = slab.copy(pathPtr, slash);
    dirs.set(key, h, node);
    lastParentKey = key;
    lastParent = node;
  }
  return node;
}

/** Follows the components of the `len` bytes at `ptr` from `r`, skipping empty ones. */
function walk(r: Node, ptr: usize, len: i32): Node | null {
  let node: Node | null = r;
  let p = 0;
  while (node && p < len) {
    if (<u32>load<u8>(ptr + p) == SLASH) {
      p++;
      continue;
    }
    let q = p;
    while (q < len && <u32>load<u8>(ptr + q) != SLASH) q++;
    node = children.get(node, ptr + p, q - p);
    p = q;
  }
  return node;
}
