/**
 * Metadata overrides for a source tree (`--overrides=FILE`), for hosts that cannot represent the
 * target's owners, modes or xattrs. The file holds dumpfile lines (composefs-dump(5), spec
 * composefs-image.md §3.1, same escaping §3.2 and integer rules §3.5):
 *
 *   PATH SIZE MODE NLINK UID GID RDEV MTIME PAYLOAD CONTENT DIGEST [KEY=VALUE]...
 *
 * - PATH must name an entry of the source tree (an override for a hard link applies to its inode).
 * - MODE, UID, GID, MTIME replace what the source saw; `-` keeps it. MODE may be permission bits
 *   only (e.g. `4755`) or include the file type, which must then be the entry's type.
 * - SIZE, NLINK, RDEV, PAYLOAD, CONTENT, DIGEST are ignored (content always comes from the source),
 *   so lines copied from `composefs-info dump` work as they are.
 * - Each KEY=VALUE sets that xattr, replacing a value of the same key.
 * - Trailing fields may be omitted (they count as `-`); empty lines and lines starting with `#`
 *   are skipped. Later lines win. Overrides are applied after `--owner` and `--use-epoch`.
 */
import { promises as fsp } from 'node:fs';
import { isValidType, Node, S_IFMT } from '../../tree/tree.js';
import { CfsError } from '../../errors.js';
import { EQUALS, findIn, hasField, SPACE, splitFields } from '../dumpfile/fields.js';
import { parseUnsigned, toI64 } from '../dumpfile/integer.js';
import { unescape, UnescapeError } from '../dumpfile/unescape.js';
import { F_GID, F_MODE, F_MTIME, F_PATH, F_UID, FIXED_FIELDS } from '../../wasm/dump-reasons.js';

const NL = 0x0a;
const SLASH = 0x2f;
const DASH = 0x2d;
const HASH = 0x23;
const DOT = 0x2e;
/** An overrides file is read whole; it is a hand-written list. */
const OVERRIDES_MAX = 64 << 20;

export async function applyOverridesFile(root: Node, file: string): Promise<void> {
  const st = await fsp.stat(file).catch((err) => Promise.reject(new CfsError(`cannot read: ${err.code}`, { file, code: 'EOVERRIDE' })));
  if (st.size > OVERRIDES_MAX) throw new CfsError(`larger than ${OVERRIDES_MAX} bytes`, { file, code: 'EOVERRIDE' });
  applyOverrides(root, await fsp.readFile(file), file);
}

export function applyOverrides(root: Node, text: Uint8Array, file = 'overrides'): void {
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf(NL, start);
    if (end < 0) end = text.length;
    line++;
    if (end > start && text[start] !== HASH) applyLine(root, text.subarray(start, end), { file, line });
    start = end + 1;
  }
}

function applyLine(root: Node, buf: Uint8Array, place: { file: string; line: number }): void {
  const fs = new Int32Array(2 * FIXED_FIELDS);
  const xattrStart = splitFields(buf, 0, buf.length, fs);
  const fail = (field: string, why: string): never => {
    throw new CfsError(why, { ...place, field, code: 'EOVERRIDE' });
  };
  /** Fixed field `i` unescaped; null when it is `-` or cut off by the line's end. */
  const field = (i: number, name: string): Uint8Array | null => {
    const s = fs[2 * i], e = fs[2 * i + 1];
    if (!hasField(fs, i, buf.length) || (e - s === 1 && buf[s] === DASH)) return null;
    try {
      return unescape(buf, s, e);
    } catch (err) {
      return fail(name, err instanceof UnescapeError ? err.message : String(err));
    }
  };
  const path = field(F_PATH, 'PATH') ?? fail('PATH', 'a path is required');
  const node = lookupAbsolute(root, path) ?? fail('PATH', `no such entry in the source: ${Buffer.from(path).toString('latin1')}`);
  const inode = node.target;
  const integer = (i: number, name: string, base: 8 | 10): bigint | null => {
    const f = field(i, name);
    if (!f) return null;
    return parseUnsigned(f, 0, f.length, base) ?? fail(name, `Invalid integer ${Buffer.from(f).toString('latin1')}`);
  };
  const mode = integer(F_MODE, 'MODE', 8);
  if (mode !== null) {
    const m = Number(mode & 0xffffffffn);
    const type = m & S_IFMT;
    if (type !== 0 && (!isValidType(m) || type !== (inode.mode & S_IFMT))) fail('MODE', `mode ${m.toString(8)} changes the entry's file type`);
    inode.mode = (inode.mode & S_IFMT) | (m & ~S_IFMT);
  }
  const uid = integer(F_UID, 'UID', 10);
  if (uid !== null) inode.uid = Number(uid & 0xffffffffn);
  const gid = integer(F_GID, 'GID', 10);
  if (gid !== null) inode.gid = Number(gid & 0xffffffffn);
  const mtime = field(F_MTIME, 'MTIME');
  if (mtime) {
    const dot = mtime.indexOf(DOT);
    const sec = dot > 0 ? parseUnsigned(mtime, 0, dot, 10) : null;
    const nsec = dot > 0 ? parseUnsigned(mtime, dot + 1, mtime.length, 10) : null;
    if (sec === null || nsec === null) fail('MTIME', `Invalid mtime ${Buffer.from(mtime).toString('latin1')} (SEC.NSEC)`);
    inode.mtimeSec = toI64(sec!);
    inode.mtimeNsec = Number(nsec! & 0xffffffffn);
  }
  for (let p = xattrStart; p < buf.length;) {
    const q = findIn(buf, SPACE, p, buf.length);
    const eq = findIn(buf, EQUALS, p, q);
    if (eq === q || eq === p) fail('XATTR', 'Missing = in xattr');
    try {
      inode.setXattr(unescape(buf, p, eq).slice(), unescape(buf, eq + 1, q).slice());
    } catch (err) {
      fail('XATTR', err instanceof UnescapeError ? err.message : String(err));
    }
    p = q + 1;
  }
}

/** The entry at an absolute path (`/` = the root); empty components are skipped, no symlinks followed. */
function lookupAbsolute(root: Node, path: Uint8Array): Node | undefined {
  if (path[0] !== SLASH) return undefined;
  let node: Node | undefined = root;
  for (let s = 1; s <= path.length && node; ) {
    let e = path.indexOf(SLASH, s);
    if (e < 0) e = path.length;
    if (e > s) node = node.lookup(path.subarray(s, e));
    s = e + 1;
  }
  return node;
}
