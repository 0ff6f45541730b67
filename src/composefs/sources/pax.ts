/**
 * PAX extended header records (POSIX.1-2001 pax format): `"%d %s=%s\n"`, the length counting the
 * whole record. Parsed from the raw bytes so that binary values (`SCHILY.xattr.*`, non-UTF-8
 * paths) stay byte-exact. Bounded: every record must fit in the header data.
 */
import { CfsError, type ErrorPlace } from '../../errors.js';

/** Keyword (latin1, one char per byte) → raw value bytes. */
export type PaxRecords = Map<string, Uint8Array>;

const SPACE = 0x20;
const EQUALS = 0x3d;
const NEWLINE = 0x0a;

export function parsePax(data: Uint8Array, place: ErrorPlace): PaxRecords {
  const records: PaxRecords = new Map();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // NUL padding after the last record
    let i = off;
    let len = 0;
    while (i < data.length && data[i] >= 0x30 && data[i] <= 0x39 && i - off < 12) len = len * 10 + (data[i++] - 0x30);
    if (i === off || data[i] !== SPACE || len <= i - off + 1 || off + len > data.length || data[off + len - 1] !== NEWLINE) {
      throw new CfsError(`malformed PAX record at byte ${off} of the extended header`, { ...place, code: 'ETAR' });
    }
    const record = data.subarray(i + 1, off + len - 1);
    const eq = record.indexOf(EQUALS);
    if (eq <= 0) throw new CfsError(`PAX record without keyword at byte ${off}`, { ...place, code: 'ETAR' });
    records.set(Buffer.from(record.subarray(0, eq)).toString('latin1'), record.slice(eq + 1));
    off += len;
  }
  return records;
}

/** A PAX decimal integer (uid, gid, size): digits only. */
export function paxInteger(value: Uint8Array, key: string, place: ErrorPlace): bigint {
  const text = Buffer.from(value).toString('latin1');
  if (!/^[0-9]{1,20}$/.test(text)) throw new CfsError(`invalid PAX ${key} '${text}'`, { ...place, code: 'ETAR' });
  return BigInt(text);
}

/**
 * A PAX time, `[-]SECONDS[.FRACTION]`, to seconds and nanoseconds (fraction truncated to 9 digits;
 * a negative time with a fraction counts down from the second above, as Go's archive/tar does).
 */
export function paxTime(value: Uint8Array, key: string, place: ErrorPlace): { sec: bigint; nsec: number } {
  const text = Buffer.from(value).toString('latin1');
  const m = /^(-?)([0-9]{1,19})(?:\.([0-9]+))?$/.exec(text);
  if (!m) throw new CfsError(`invalid PAX ${key} '${text}'`, { ...place, code: 'ETAR' });
  let sec = BigInt(m[2]);
  let nsec = Number((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  if (m[1] === '-') {
    sec = -sec;
    if (nsec > 0) {
      sec -= 1n;
      nsec = 1_000_000_000 - nsec;
    }
  }
  return { sec, nsec };
}
