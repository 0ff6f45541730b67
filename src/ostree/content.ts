/**
 * Content (file) objects (spec ostree.md §2.8): their metadata and bytes in every repo mode, and
 * the content checksum that names them — SHA-256 of `u32 BE len, 4 zero bytes, header
 * (uuuusa(ayay)), content` — checked while the bytes stream.
 *
 * What each mode lets pure Node read: `archive` carries everything in the `.filez` header;
 * `bare-user-only` has no ownership or xattrs to read; `bare` keeps ownership in stat, but its
 * xattrs are unreadable; `bare-user` keeps uid, gid, mode and xattrs in the `user.ostreemeta`
 * xattr, unreadable too, so its metadata is recovered by trying the candidates (root-owned, no
 * xattrs, each combination of the setuid/setgid/sticky bits the object file lost, or a symlink
 * whose target is the content minus its NUL) against the checksum. Objects outside those
 * candidates are refused with a clear error (convert from an archive repo instead).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { createInflateRaw } from 'node:zlib';
import { CfsError } from '../errors.js';
import { decode, encode } from '../formats/gvariant.js';
import { MAX_METADATA_SIZE, objectPath } from './objects.js';
import type { Xattr } from './formats.js';
import type { Repo } from './repo.js';
import { S_IFLNK, S_IFMT, S_IFREG } from '../tree/mode.js';

/** bare-user objects can hold at most a PATH_MAX symlink target plus its NUL. */
const MAX_TARGET = 4096;

export interface ContentObject {
  checksum: string;
  uid: number;
  gid: number;
  /** Full st_mode (S_IFREG or S_IFLNK). */
  mode: number;
  xattrs: Xattr[];
  /** Symlink target, or null for a regular file. */
  target: Uint8Array | null;
  /** Content size (0 for symlinks). */
  size: bigint;
  /** Where the bytes are: a plain file, or raw deflate from `offset` of a `.filez`. */
  path: string;
  deflateOffset: number | null;
  /** Whether the metadata was already checked against the checksum (bare-user candidates). */
  verified: boolean;
}

const fail = (checksum: string, reason: string, file?: string) =>
  new CfsError(reason, { file, field: `content object ${checksum}`, code: 'EOBJECT' });

/** Reads a content object's metadata (bare-user: also verifies it, see above). */
export async function readContentObject(repo: Repo, checksum: string): Promise<ContentObject> {
  if (repo.mode === 'archive') return readArchive(repo, checksum);
  if (repo.mode === 'bare-split-xattrs') throw fail(checksum, 'bare-split-xattrs repositories are not supported');
  const path = objectPath(repo, checksum, 'file');
  const st = await fsp.lstat(path).catch((e) => {
    throw fail(checksum, `missing (${(e as NodeJS.ErrnoException).code})`, path);
  });
  const base = { checksum, xattrs: [], path, deflateOffset: null, verified: false };
  if (st.isSymbolicLink()) {
    const target = new Uint8Array(await fsp.readlink(path, { encoding: 'buffer' }));
    const root = repo.mode === 'bare-user-only';
    return { ...base, uid: root ? 0 : st.uid, gid: root ? 0 : st.gid, mode: S_IFLNK | 0o777, target, size: 0n };
  }
  if (!st.isFile()) throw fail(checksum, 'object is neither a regular file nor a symlink', path);
  if (repo.mode === 'bare-user') return recoverBareUser(checksum, path, st.mode & 0o7777, BigInt(st.size));
  const root = repo.mode === 'bare-user-only';
  return { ...base, uid: root ? 0 : st.uid, gid: root ? 0 : st.gid, mode: S_IFREG | (st.mode & 0o7777), target: null, size: BigInt(st.size) };
}

/** The content bytes, checked against the object's checksum when the stream ends. */
export async function* contentChunks(obj: ContentObject): AsyncGenerator<Uint8Array> {
  const hash = obj.verified ? null : headerHash(obj);
  if (obj.target === null) {
    const raw = createReadStream(obj.path, { start: obj.deflateOffset ?? 0, highWaterMark: 256 * 1024 });
    const source: AsyncIterable<Uint8Array> = obj.deflateOffset === null ? raw : raw.pipe(createInflateRaw());
    try {
      for await (const chunk of source) {
        hash?.update(chunk);
        yield chunk;
      }
    } catch (e) {
      if (e instanceof CfsError) throw e;
      throw fail(obj.checksum, `cannot read content: ${(e as Error).message}`, obj.path);
    }
  }
  if (hash && hash.digest('hex') !== obj.checksum) throw fail(obj.checksum, 'corrupted: content and metadata do not hash to the object name', obj.path);
}

/** Checks a symlink object (no content) against its checksum. */
export function verifySymlink(obj: ContentObject): void {
  if (!obj.verified && headerHash(obj).digest('hex') !== obj.checksum)
    throw fail(obj.checksum, 'corrupted or carries extended attributes cfskit cannot read in this repo mode', obj.path);
}

/** SHA-256 state after the length-prefixed file header (ostree.md §2.8). */
function headerHash(o: Pick<ContentObject, 'uid' | 'gid' | 'mode' | 'target' | 'xattrs'>): Hash {
  const header = encode('(uuuusa(ayay))', [o.uid, o.gid, o.mode, 0, o.target ? utf8(o.target) : '', sortedXattrs(o.xattrs)], 'be');
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setUint32(0, header.length, false);
  return createHash('sha256').update(prefix).update(header);
}

function sortedXattrs(xattrs: Xattr[]): [Uint8Array, Uint8Array][] {
  return [...xattrs]
    .sort((a, b) => Buffer.compare(a.name, b.name))
    .map((x) => [Uint8Array.from([...x.name, 0]), x.value]);
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
function utf8(b: Uint8Array): string {
  try {
    return utf8Decoder.decode(b);
  } catch {
    throw new CfsError('symlink target is not valid UTF-8', { code: 'EOBJECT' });
  }
}

/** `.filez`: u32 BE header length, 4 zero bytes, `(tuuuusa(ayay))` BE, raw deflate (ostree.md §2.8). */
async function readArchive(repo: Repo, checksum: string): Promise<ContentObject> {
  const path = objectPath(repo, checksum, 'filez');
  const fh = await fsp.open(path, 'r').catch((e) => {
    throw fail(checksum, `missing (${(e as NodeJS.ErrnoException).code})`, path);
  });
  try {
    const prefix = Buffer.alloc(8);
    if ((await fh.read(prefix, 0, 8, 0)).bytesRead !== 8) throw fail(checksum, 'truncated .filez header', path);
    const len = prefix.readUInt32BE(0);
    // Bounded by the file itself before anything is allocated.
    if (prefix.readUInt32BE(4) !== 0 || len > MAX_METADATA_SIZE || 8 + len > (await fh.stat()).size)
      throw fail(checksum, `bad .filez header length ${len}`, path);
    const header = Buffer.alloc(len);
    if ((await fh.read(header, 0, len, 8)).bytesRead !== len) throw fail(checksum, 'truncated .filez header', path);
    const [size, uid, gid, mode, , target, xattrs] = decode('(tuuuusa(ayay))', header, 'be', path) as [
      bigint, number, number, number, number, string, [Uint8Array, Uint8Array][]];
    const type = mode & S_IFMT;
    if ((type !== S_IFREG && type !== S_IFLNK) || (mode & ~(S_IFMT | 0o7777)) !== 0) throw fail(checksum, `invalid file mode ${mode.toString(8)}`, path);
    return {
      checksum, uid, gid, mode, path,
      xattrs: xattrs.map(([n, v]) => ({ name: stripNul(n, checksum, path), value: v })),
      target: type === S_IFLNK ? new TextEncoder().encode(target) : null,
      size: type === S_IFLNK ? 0n : size,
      deflateOffset: 8 + len,
      verified: false,
    };
  } finally {
    await fh.close();
  }
}

function stripNul(name: Uint8Array, checksum: string, path: string): Uint8Array {
  if (name.length < 2 || name.indexOf(0) !== name.length - 1) throw fail(checksum, 'xattr name must be NUL-terminated', path);
  return name.subarray(0, name.length - 1);
}

/** bare-user without xattr access: hash the content once against every candidate header. */
async function recoverBareUser(checksum: string, path: string, perms: number, size: bigint): Promise<ContentObject> {
  const base = { checksum, uid: 0, gid: 0, xattrs: [], path, deflateOffset: null, verified: true };
  const candidates: ContentObject[] = [0, 0o1000, 0o2000, 0o4000, 0o3000, 0o5000, 0o6000, 0o7000].map((special) => ({
    ...base, mode: S_IFREG | perms | special, target: null, size,
  }));
  const hashes = candidates.map(headerHash);
  const small: Uint8Array[] = [];
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    for (const h of hashes) h.update(chunk);
    if (size <= BigInt(MAX_TARGET + 1)) small.push(chunk);
  }
  const hit = hashes.findIndex((h) => h.digest('hex') === checksum);
  if (hit >= 0) return candidates[hit];
  const content = Buffer.concat(small);
  if (content.length > 1 && content.indexOf(0) === content.length - 1) {
    const link: ContentObject = { ...base, mode: S_IFLNK | 0o777, target: new Uint8Array(content.subarray(0, -1)), size: 0n };
    if (headerHash(link).digest('hex') === checksum) return link;
  }
  throw fail(checksum, 'bare-user object has an owner or xattrs (user.ostreemeta) that Node cannot read; convert from an archive repository (ostree pull-local into --mode=archive)', path);
}
