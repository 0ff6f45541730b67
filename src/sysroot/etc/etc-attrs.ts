/**
 * The /etc attribute sidecar: ownership, modes and xattrs of a deployment's `etc/` entries that
 * the disk does not hold. Node cannot set xattrs, and only root can chown, so when cfskit writes
 * an etc/ the intended attributes of every entry whose disk attributes differ (or that has
 * xattrs) are listed in `<deployment>/.cfskit-etc-attrs`, next to `etc/`, invisible to the booted
 * system. Each record also keeps the disk uid/gid/mode seen when it was written: if the disk later
 * differs from that (someone changed the file on the running system), the disk wins.
 *
 * Format (text, one entry per line, sorted by path):
 *   PATH UID GID MODE DISK-UID DISK-GID DISK-MODE [XATTR-KEY=XATTR-VALUE]...
 * PATH is relative to etc/ ("." for etc/ itself); MODEs are octal permission bits (07777);
 * PATH, keys and values escape bytes outside 0x21–0x7e and `\` `=` as `\xHH`.
 */
import { CfsError } from '../../errors.js';
import type { Xattr } from '../../tree/tree.js';

export const ETC_ATTRS_NAME = '.cfskit-etc-attrs';
/** Refuse sidecars larger than this (one line per /etc entry: a few MiB at most). */
export const ETC_ATTRS_MAX_BYTES = 64 << 20;

export interface EtcAttrs {
  uid: number;
  gid: number;
  /** Permission bits (07777). */
  mode: number;
  diskUid: number;
  diskGid: number;
  diskMode: number;
  xattrs: Xattr[];
}

/** Keys are relative paths as latin1 strings (one char per byte). */
export type EtcAttrsTable = Map<string, EtcAttrs>;

function escape(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c > 0x20 && c < 0x7f && c !== 0x5c && c !== 0x3d ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

function unescape(s: string, place: { file: string; line: number }, field: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) {
      const hex = s.slice(i + 1, i + 4);
      if (!/^x[0-9a-f]{2}$/.test(hex)) throw new CfsError(`bad escape '\\${hex}'`, { ...place, field, code: 'EETCATTRS' });
      out.push(parseInt(hex.slice(1), 16));
      i += 3;
    } else if (c <= 0x20 || c >= 0x7f || c === 0x3d) {
      throw new CfsError('unescaped byte', { ...place, field, code: 'EETCATTRS' });
    } else out.push(c);
  }
  return Buffer.from(out);
}

export function formatEtcAttrs(table: EtcAttrsTable): string {
  const keys = [...table.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = '';
  for (const k of keys) {
    const a = table.get(k)!;
    const x = a.xattrs.map((xa) => ` ${escape(xa.key)}=${escape(xa.value)}`).join('');
    out += `${escape(Buffer.from(k, 'latin1'))} ${a.uid} ${a.gid} ${a.mode.toString(8)} ${a.diskUid} ${a.diskGid} ${a.diskMode.toString(8)}${x}\n`;
  }
  return out;
}

export function parseEtcAttrs(data: Uint8Array, file = '-'): EtcAttrsTable {
  if (data.length > ETC_ATTRS_MAX_BYTES) throw new CfsError('etc attribute file too large', { file, code: 'EETCATTRS' });
  const table: EtcAttrsTable = new Map();
  const text = Buffer.from(data.buffer, data.byteOffset, data.length).toString('latin1');
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new CfsError('missing final newline', { file, line: lines.length + 1, code: 'EETCATTRS' });
  lines.forEach((line, i) => {
    const place = { file, line: i + 1 };
    const f = line.split(' ');
    if (f.length < 7) throw new CfsError(`expected at least 7 fields, got ${f.length}`, { ...place, code: 'EETCATTRS' });
    const num = (s: string, field: string, radix: number, max: number) => {
      const ok = radix === 8 ? /^[0-7]{1,5}$/.test(s) : /^[0-9]{1,10}$/.test(s);
      const v = ok ? parseInt(s, radix) : NaN;
      if (!(v <= max)) throw new CfsError(`bad ${field} '${s.slice(0, 20)}'`, { ...place, field, code: 'EETCATTRS' });
      return v;
    };
    const path = unescape(f[0], place, 'path').toString('latin1');
    if (table.has(path)) throw new CfsError('path listed twice', { ...place, field: 'path', code: 'EETCATTRS' });
    table.set(path, {
      uid: num(f[1], 'uid', 10, 0xffffffff),
      gid: num(f[2], 'gid', 10, 0xffffffff),
      mode: num(f[3], 'mode', 8, 0o7777),
      diskUid: num(f[4], 'disk-uid', 10, 0xffffffff),
      diskGid: num(f[5], 'disk-gid', 10, 0xffffffff),
      diskMode: num(f[6], 'disk-mode', 8, 0o7777),
      xattrs: f.slice(7).map((x) => {
        const eq = x.indexOf('=');
        if (eq <= 0) throw new CfsError('xattr without key=value', { ...place, field: 'xattr', code: 'EETCATTRS' });
        return { key: unescape(x.slice(0, eq), place, 'xattr'), value: unescape(x.slice(eq + 1), place, 'xattr') };
      }),
    });
  });
  return table;
}
