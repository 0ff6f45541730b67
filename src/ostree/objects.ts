/**
 * Loose objects (spec ostree.md §2.3): `objects/<2 hex>/<62 hex>.<ext>`, metadata named by the
 * SHA-256 of its bytes, written to tmp/ and linked into place without replacing.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Repo, repoFs } from './repo.js';

export type MetadataType = 'commit' | 'dirtree' | 'dirmeta';
/** Extensions object enumeration accepts (ostree.md §2.3); `.commitmeta` travels with its commit. */
export type ObjectExt = MetadataType | 'file' | 'filez' | 'payload-link' | 'tombstone-commit' | 'commitmeta';
const EXTS = new Set<string>(['commit', 'dirtree', 'dirmeta', 'file', 'filez', 'payload-link', 'tombstone-commit', 'commitmeta']);

/** OSTREE_MAX_METADATA_SIZE: larger metadata objects are refused. */
export const MAX_METADATA_SIZE = 128 * 1024 * 1024;
const CHECKSUM = /^[0-9a-f]{64}$/;

export const isChecksum = (s: string): boolean => CHECKSUM.test(s);

export function checkChecksum(s: string, field = 'checksum'): string {
  if (!CHECKSUM.test(s)) throw new CfsError(`invalid checksum '${s}'`, { field, code: 'EOBJECT' });
  return s;
}

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(checkChecksum(s), 'hex'));

export function objectPath(repo: Repo, checksum: string, ext: ObjectExt): string {
  checkChecksum(checksum);
  return join(repo.path, 'objects', checksum.slice(0, 2), `${checksum.slice(2)}.${ext}`);
}

/** Stores a serialized metadata object; returns its checksum (an existing object is kept). */
export function writeMetadata(repo: Repo, type: MetadataType, bytes: Uint8Array): string {
  const checksum = sha256Hex(bytes);
  writeFileAtomic(objectPath(repo, checksum, type), bytes, { tmpDir: repo.tmpDir, noReplace: true, fs: repoFs(repo) });
  return checksum;
}

/** Reads a metadata object's bytes (bounded by MAX_METADATA_SIZE); `verify` checks the name. */
export function readMetadata(repo: Repo, type: MetadataType | 'commitmeta', checksum: string, verify = false): Uint8Array {
  const path = objectPath(repo, checksum, type);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CfsError(`no such ${type} object ${checksum}`, { file: path, code: 'ENOENT' });
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_METADATA_SIZE) throw new CfsError(`metadata object too large (${size} bytes)`, { file: path, code: 'EOBJECT' });
    const buf = new Uint8Array(size);
    for (let off = 0; off < size; ) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) throw new CfsError('metadata object truncated while reading', { file: path, offset: off, code: 'EOBJECT' });
      off += n;
    }
    if (verify && type !== 'commitmeta' && sha256Hex(buf) !== checksum)
      throw new CfsError(`corrupted object: content hashes to ${sha256Hex(buf)}`, { file: path, code: 'EOBJECT' });
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Every loose object with an extension ostree enumerates (ostree.md §2.3: other names are ignored). */
export function* listObjects(repo: Repo, wanted?: ObjectExt): Generator<{ checksum: string; ext: ObjectExt }> {
  const objects = join(repo.path, 'objects');
  for (let i = 0; i < 256; i++) {
    const prefix = i.toString(16).padStart(2, '0');
    let names: string[];
    try {
      names = readdirSync(join(objects, prefix));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const m = /^([0-9a-f]{62})\.([a-z-]+)$/.exec(name);
      if (!m || !EXTS.has(m[2]) || (wanted && m[2] !== wanted)) continue;
      yield { checksum: prefix + m[1], ext: m[2] as ObjectExt };
    }
  }
}
