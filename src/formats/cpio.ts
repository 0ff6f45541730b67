/**
 * newc ("070701") cpio archives, the format of initramfs images and of our initramfs extension
 * (ostree.md §3.9 overlay initrds). Each member: a 110-byte ASCII header (magic + 13 fields of 8 hex
 * digits), the NUL-terminated name, padding to 4 bytes, the data, padding to 4 bytes. The archive
 * ends with a member named `TRAILER!!!`; anything after it (GNU cpio pads to 512 bytes) is ignored.
 */
import { CfsError } from '../errors.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../tree/tree.js';

const MAGIC_NEWC = '070701';
const MAGIC_CRC = '070702';
const HEADER_SIZE = 110;
export const CPIO_TRAILER = 'TRAILER!!!';
/** Longest member name we accept (PATH_MAX). */
export const CPIO_MAX_NAME = 4096;

export interface CpioEntry {
  /** Member name as raw bytes (conventionally relative, e.g. `etc/foo`). */
  name: Uint8Array;
  mode: number;
  uid?: number;
  gid?: number;
  nlink?: number;
  mtime?: number;
  devMajor?: number;
  devMinor?: number;
  rdevMajor?: number;
  rdevMinor?: number;
  ino?: number;
  /** File content, or the symlink target for S_IFLNK. */
  data?: Uint8Array;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;
const hex8 = (v: number, field: string) => {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new CfsError(`value ${v} does not fit a newc header field`, { field, code: 'ECPIO' });
  }
  return v.toString(16).padStart(8, '0');
};

/**
 * Writes a newc archive chunk by chunk to `sink` (so large members need not be joined). Inode
 * numbers default to 1, 2, 3… in member order; mtime defaults to 0 (reproducible archives).
 */
export class CpioWriter {
  private nextIno = 1;
  private done = false;

  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  add(entry: CpioEntry): void {
    if (this.done) throw new CfsError('cpio archive already finished', { code: 'ECPIO' });
    const data = entry.data ?? new Uint8Array(0);
    if ((entry.mode & S_IFMT) === S_IFDIR && data.length > 0) {
      throw new CfsError('a directory member cannot carry data', { field: 'data', code: 'ECPIO' });
    }
    this.member(entry, data, entry.ino ?? this.nextIno++);
  }

  /** Writes the `TRAILER!!!` member; the archive is complete afterwards. */
  finish(): void {
    this.member({ name: new TextEncoder().encode(CPIO_TRAILER), mode: 0, nlink: 1 }, new Uint8Array(0), 0);
    this.done = true;
  }

  private member(e: CpioEntry, data: Uint8Array, ino: number): void {
    if (e.name.length === 0 || e.name.length > CPIO_MAX_NAME || e.name.includes(0)) {
      throw new CfsError('invalid cpio member name', { field: 'name', code: 'ECPIO' });
    }
    const namesize = e.name.length + 1;
    const header =
      MAGIC_NEWC +
      hex8(ino, 'ino') +
      hex8(e.mode, 'mode') +
      hex8(e.uid ?? 0, 'uid') +
      hex8(e.gid ?? 0, 'gid') +
      hex8(e.nlink ?? ((e.mode & S_IFMT) === S_IFDIR ? 2 : 1), 'nlink') +
      hex8(e.mtime ?? 0, 'mtime') +
      hex8(data.length, 'filesize') +
      hex8(e.devMajor ?? 0, 'devmajor') +
      hex8(e.devMinor ?? 0, 'devminor') +
      hex8(e.rdevMajor ?? 0, 'rdevmajor') +
      hex8(e.rdevMinor ?? 0, 'rdevminor') +
      hex8(namesize, 'namesize') +
      hex8(0, 'check');
    const head = new Uint8Array(HEADER_SIZE + namesize + pad4(HEADER_SIZE + namesize));
    head.set(new TextEncoder().encode(header), 0);
    head.set(e.name, HEADER_SIZE);
    this.sink(head);
    if (data.length > 0) {
      this.sink(data);
      const p = pad4(data.length);
      if (p) this.sink(new Uint8Array(p));
    }
  }
}

/** Builds a whole archive in memory (for small archives such as the initramfs extension). */
export function writeCpio(entries: CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new CpioWriter((c) => chunks.push(c));
  for (const e of entries) w.add(e);
  w.finish();
  return Buffer.concat(chunks);
}

export interface CpioMember extends Required<Omit<CpioEntry, 'data'>> {
  data: Uint8Array;
  /** Byte offset of the member's header in the archive. */
  offset: number;
}

/**
 * Reads the members of a newc (or newc-crc) archive up to `TRAILER!!!`. Bounded: every length is
 * checked against the input before use; a truncated or malformed archive is an error naming the
 * offset and field.
 */
export function readCpio(buf: Uint8Array, file = '-'): CpioMember[] {
  const members: CpioMember[] = [];
  const fail = (offset: number, field: string, reason: string): never => {
    throw new CfsError(reason, { file, offset, field, code: 'ECPIO' });
  };
  let off = 0;
  for (;;) {
    if (off + HEADER_SIZE > buf.length) fail(off, 'header', 'archive ends before the TRAILER!!! member');
    const magic = latin1(buf, off, 6);
    if (magic !== MAGIC_NEWC && magic !== MAGIC_CRC) fail(off, 'magic', `bad magic '${printable(magic)}' (want 070701)`);
    const field = (i: number, name: string): number => {
      const s = latin1(buf, off + 6 + i * 8, 8);
      if (!/^[0-9a-fA-F]{8}$/.test(s)) fail(off + 6 + i * 8, name, `'${printable(s)}' is not 8 hex digits`);
      return parseInt(s, 16);
    };
    const m = {
      ino: field(0, 'ino'), mode: field(1, 'mode'), uid: field(2, 'uid'), gid: field(3, 'gid'),
      nlink: field(4, 'nlink'), mtime: field(5, 'mtime'), devMajor: field(7, 'devmajor'),
      devMinor: field(8, 'devminor'), rdevMajor: field(9, 'rdevmajor'), rdevMinor: field(10, 'rdevminor'),
    };
    const filesize = field(6, 'filesize');
    const namesize = field(11, 'namesize');
    if (namesize < 2 || namesize > CPIO_MAX_NAME + 1) fail(off, 'namesize', `name size ${namesize} out of range`);
    const nameEnd = off + HEADER_SIZE + namesize;
    if (nameEnd > buf.length) fail(off, 'name', 'archive ends inside a member name');
    if (buf[nameEnd - 1] !== 0) fail(nameEnd - 1, 'name', 'member name is not NUL-terminated');
    const name = buf.slice(off + HEADER_SIZE, nameEnd - 1);
    if (name.includes(0)) fail(off + HEADER_SIZE, 'name', 'member name contains a NUL byte');
    const dataStart = nameEnd + pad4(HEADER_SIZE + namesize);
    if (latin1(name, 0, name.length) === CPIO_TRAILER) return members;
    if (dataStart + filesize > buf.length) fail(dataStart, 'filesize', `member data (${filesize} bytes) runs past the end`);
    members.push({ ...m, name, data: buf.slice(dataStart, dataStart + filesize), offset: off });
    off = dataStart + filesize + pad4(filesize);
  }
}


function latin1(b: Uint8Array, off: number, len: number): string {
  return Buffer.from(b.buffer, b.byteOffset + off, Math.min(len, b.length - off)).toString('latin1');
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
