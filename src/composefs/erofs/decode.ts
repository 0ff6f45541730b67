/**
 * The decoding steps the tree reader (reader.ts) and the scanner (scan.ts) share: a directory
 * block's entries, xattr names, and which stored xattrs C keeps (composefs-image.md §2.7,
 * composefs-image.md §2.12).
 */
import type { ImageBytes } from './bounds.js';
import {
  DIRENT_SIZE,
  MAX_NAME_LENGTH,
  OVERLAY_XATTR_ESCAPE_PREFIX,
  OVERLAY_XATTR_ESCAPED_WHITEOUTS,
  OVERLAY_XATTR_PREFIX,
  OVERLAY_XATTR_USERXATTR_WHITEOUT,
  OVERLAY_XATTR_USERXATTR_WHITEOUTS,
  XATTR_ENTRY_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  XATTR_NAME_MAX,
  XATTR_PREFIXES,
} from '../../formats/erofs.js';

const DOT = 0x2e;
const SLASH = 0x2f;
/** How many decoded xattr names are kept for reuse. */
const RECENT_NAMES = 8;

/**
 * One directory block or tail: n dirents (n = nameoff[0] / 12), then the names (composefs-image.md §2.7).
 * Calls `entry` for each but "." and ".." with its nid (nids of 2^32 and above, never inside an
 * image, as MAX_SAFE_INTEGER), its name's span in the image and the dirent's offset.
 */
export function readDirBlock(
  img: ImageBytes,
  offset: number,
  size: number,
  entry: (nid: number, nameStart: number, nameEnd: number, direntAt: number) => void,
): void {
  img.check(offset, size, 'directory block');
  if (size < DIRENT_SIZE) img.fail(`directory block of ${size} bytes holds no entry`, offset, 'dirent');
  const view = img.view; // every read below lies inside the block checked above
  const direntsSize = view.getUint16(offset + 8, true);
  if (direntsSize % DIRENT_SIZE !== 0 || direntsSize > size) {
    img.fail(`first name offset ${direntsSize} is not a dirent boundary inside the block`, offset + 8, 'dirent.nameoff');
  }
  const n = direntsSize / DIRENT_SIZE;
  const bytes = img.bytes;
  let nameOff = direntsSize;
  for (let i = 0; i < n; i++) {
    const at = offset + i * DIRENT_SIZE;
    const last = i + 1 === n;
    const nameEnd = last ? size : view.getUint16(at + DIRENT_SIZE + 8, true);
    if (nameOff < direntsSize || nameEnd < nameOff || nameEnd > size) {
      img.fail(`name offsets ${nameOff}..${nameEnd} outside the names of a ${size}-byte block`, at + 8, 'dirent.nameoff');
    }
    // Every name is a C string; the last one runs to the first NUL or the block end, the
    // others are their full span when told apart from "." and "..".
    const start = offset + nameOff;
    const stop = offset + nameEnd;
    let end = start;
    let slash = false;
    while (end < stop) {
      const c = bytes[end];
      if (c === 0) break;
      if (c === SLASH) slash = true;
      end++;
    }
    const storedEnd = last ? end : stop;
    nameOff = nameEnd;
    if (isDotOrDotDot(bytes, start, storedEnd)) continue;
    const len = end - start;
    if (len === 0 || len > MAX_NAME_LENGTH || slash || isDotOrDotDot(bytes, start, end)) {
      img.fail(`invalid entry name of ${len} bytes`, at, 'dirent.name');
    }
    const high = view.getUint32(at + 4, true);
    entry(high === 0 ? view.getUint32(at, true) : Number.MAX_SAFE_INTEGER, start, end, at);
  }
}

/** Whether bytes[start, end) is "." or "..". */
function isDotOrDotDot(bytes: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  return (len === 1 || len === 2) && bytes[start] === DOT && (len === 1 || bytes[start + 1] === DOT);
}

/**
 * Xattr names as strings and as key bytes, reused: an image repeats a few names (the overlay
 * redirect and metacopy) in every inode.
 */
export class XattrNames {
  private readonly recent: { index: number; suffix: Uint8Array; name: string }[] = [];
  private nextRecent = 0;
  private readonly keyBytes = new Map<string, Uint8Array>();

  constructor(private readonly img: ImageBytes) {}

  /** The full name of an xattr entry: its prefix, then the suffix bytes at `at` as latin1. */
  name(index: number, prefix: string, at: number, len: number): string {
    const bytes = this.img.bytes;
    const recent = this.recent;
    for (let k = 0; k < recent.length; k++) {
      const r = recent[k];
      if (r.index !== index || r.suffix.length !== len) continue;
      let i = 0;
      while (i < len && r.suffix[i] === bytes[at + i]) i++;
      if (i === len) return r.name;
    }
    const name = prefix + this.img.latin1(at, len);
    const entry = { index, suffix: bytes.subarray(at, at + len), name };
    if (recent.length < RECENT_NAMES) recent.push(entry);
    else recent[this.nextRecent++ % RECENT_NAMES] = entry;
    return name;
  }

  /** Key bytes of a name, one array per name: keys compare by identity. */
  keyOf(name: string): Uint8Array {
    let k = this.keyBytes.get(name);
    if (!k) {
      k = Uint8Array.from(name, (c) => c.charCodeAt(0));
      this.keyBytes.set(name, k);
    }
    return k;
  }
}

/**
 * The name C's loader gives a stored xattr it keeps, or null for one it drops: the whiteout
 * markers and real overlay xattrs (e.g. the root's opaque=y); an escaped overlay xattr loses one
 * escape level. The redirect, the metacopy and the escaped whiteout are the callers' to handle
 * first (composefs-image.md §2.12, Appendix B item 14).
 */
export function keptXattrName(key: string): string | null {
  if (key === OVERLAY_XATTR_ESCAPED_WHITEOUTS || key === OVERLAY_XATTR_USERXATTR_WHITEOUT || key === OVERLAY_XATTR_USERXATTR_WHITEOUTS) {
    return null;
  }
  if (!key.startsWith(OVERLAY_XATTR_PREFIX)) return key;
  if (!key.startsWith(OVERLAY_XATTR_ESCAPE_PREFIX)) return null;
  return 'trusted.' + key.slice(OVERLAY_XATTR_PREFIX.length);
}

/**
 * Decodes one erofs_xattr_entry at `at` (which must end by `end`, its 4-byte header inside the
 * image) and hands its name and value span to `apply`; returns the entry's size (composefs-image.md §2.5).
 */
export function readXattrEntry(
  img: ImageBytes,
  names: XattrNames,
  at: number,
  end: number,
  apply: (key: string, valueAt: number, valueSize: number) => void,
): number {
  const bytes = img.bytes;
  const nameLen = bytes[at];
  const index = bytes[at + 1];
  const valueSize = img.view.getUint16(at + 2, true);
  const size = XATTR_ENTRY_SIZE + nameLen + valueSize;
  if (at + size > end) img.fail(`xattr entry of ${size} bytes overruns its area`, at, 'xattr.e_value_size');
  const prefix = XATTR_PREFIXES[index];
  if (prefix === undefined) img.fail(`unknown xattr name index ${index}`, at + 1, 'xattr.e_name_index');
  const nameAt = at + XATTR_ENTRY_SIZE;
  let suffixLen = 0; // a C string: the name ends at a NUL
  while (suffixLen < nameLen && bytes[nameAt + suffixLen] !== 0) suffixLen++;
  const key = names.name(index, prefix, nameAt, suffixLen);
  if (key.length === 0 || key.length > XATTR_NAME_MAX) img.fail(`xattr name of ${key.length} bytes`, at, 'xattr.name');
  apply(key, nameAt + nameLen, valueSize);
  return size;
}

/** Where the backing path of a trusted.overlay.redirect value starts: after a leading '/'. */
export function redirectStart(bytes: Uint8Array, valueAt: number, valueSize: number): number {
  return valueSize > 1 && bytes[valueAt] === SLASH ? valueAt + 1 : valueAt;
}

/**
 * Where it ends. C quirk (composefs-image.md §2.12): after a leading '/', it reads up to two bytes
 * past the value and cuts at the first NUL (clamped here to the image).
 */
export function redirectEnd(bytes: Uint8Array, valueAt: number, valueSize: number): number {
  const start = redirectStart(bytes, valueAt, valueSize);
  const limit = start === valueAt ? valueAt + valueSize : Math.min(valueAt + valueSize + 2, bytes.length);
  let z = start;
  while (z < limit && bytes[z] !== 0) z++;
  return z;
}

/**
 * An inode's xattr area of `size` bytes at `start` (inside the image): the inline entries first,
 * then the shared ones (at `sharedStart`) in header order, each handed to `apply`
 * (composefs-image.md §2.5, composefs-image.md §2.12).
 */
export function readXattrs(
  img: ImageBytes,
  names: XattrNames,
  start: number,
  size: number,
  sharedStart: number,
  apply: (key: string, valueAt: number, valueSize: number) => void,
): void {
  const end = start + size;
  const shared = img.bytes[start + 4]; // h_shared_count: the area holds at least the 12-byte header
  let p = start + XATTR_IBODY_HEADER_SIZE + shared * 4;
  if (p > end) img.fail(`${shared} shared xattr ids do not fit the xattr area`, start + 4, 'xattr.h_shared_count');
  while (p + XATTR_ENTRY_SIZE < end) {
    const entrySize = readXattrEntry(img, names, p, end, apply);
    p += (entrySize + 3) & ~3;
  }
  for (let i = 0; i < shared; i++) {
    const idOffset = start + XATTR_IBODY_HEADER_SIZE + i * 4;
    const entry = sharedStart + img.view.getUint32(idOffset, true) * 4; // inside the area: checked above
    if (entry + XATTR_ENTRY_SIZE > img.length) img.fail('shared xattr id points outside the image', idOffset, 'xattr.h_shared_xattrs');
    readXattrEntry(img, names, entry, img.length, apply);
  }
}
