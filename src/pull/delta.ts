/**
 * Image deltas (docs/FORMAT.md "Image deltas"): a static file `cfs/deltas/FROM-TO` beside the
 * images, keyed by the fs-verity digests of the image a client has (FROM) and the one it wants
 * (TO). Its content is gzip over a header (magic, FROM, TO, TO's size) and TO's bytes XORed with
 * FROM's (FROM read as zeros past its end). Images of two versions of one tree share their layout
 * where only file contents changed, so the XOR is mostly zeros and compresses to the changed
 * inodes. A pull applies a delta only to an image it holds and stores the result only when its
 * fs-verity digest is TO; otherwise it fetches the whole image.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CfsError } from '../errors.js';
import { digestBytes } from '../fsverity/index.js';
import { lookup } from '../formats/gvariant.js';
import { writeFileAtomic } from '../io/atomic.js';
import { META, readCommit } from '../ostree/commit.js';
import type { Commit } from '../ostree/formats.js';
import { toHex } from '../ostree/objects.js';
import { type Repo, repoFs } from '../ostree/repo.js';
import { cfsPaths } from '../cfs/store.js';
import { objectPath } from '../store/objects.js';

/** Largest image a pull holds in memory (and so the largest delta result). */
export const MAX_IMAGE_SIZE = 1 << 30;
const MAGIC = Buffer.from('CFSDXOR0', 'latin1');
/** magic (8) ‖ FROM (32) ‖ TO (32) ‖ TO's size (u64 little-endian). */
const HEADER_SIZE = 80;

/** The delta's path in a repository (and below a remote's URL). */
export function deltaPath(from: string, to: string): string {
  return `cfs/deltas/${from}-${to}`;
}

/** The delta file taking image `from` (hex digest, bytes `old`) to image `to` (bytes `next`). */
export function encodeDelta(from: string, old: Uint8Array, to: string, next: Uint8Array): Uint8Array {
  const body = Buffer.allocUnsafe(HEADER_SIZE + next.length);
  MAGIC.copy(body, 0);
  body.write(from, 8, 'hex');
  body.write(to, 40, 'hex');
  body.writeBigUInt64LE(BigInt(next.length), 72);
  const common = Math.min(old.length, next.length);
  for (let i = 0; i < common; i++) body[HEADER_SIZE + i] = next[i] ^ old[i];
  body.set(next.subarray(common), HEADER_SIZE + common);
  return gzipSync(body, { level: 9 });
}

/**
 * TO's bytes from a delta and FROM's bytes; a CfsError naming `file` when the delta is not one
 * from `from` to `to` (bad gzip, wrong header, size over MAX_IMAGE_SIZE). The caller checks the
 * result's fs-verity digest.
 */
export function applyDelta(delta: Uint8Array, old: Uint8Array, from: string, to: string, file: string): Uint8Array {
  let body: Buffer;
  try {
    body = gunzipSync(delta, { maxOutputLength: HEADER_SIZE + MAX_IMAGE_SIZE });
  } catch (e) {
    throw new CfsError(`not a gzip stream of at most ${HEADER_SIZE + MAX_IMAGE_SIZE} bytes: ${(e as Error).message}`, { file, code: 'EOBJECT' });
  }
  const bad = (field: string, why: string) => new CfsError(why, { file, field, code: 'EOBJECT' });
  if (body.length < HEADER_SIZE || !body.subarray(0, 8).equals(MAGIC)) throw bad('magic', 'not an image delta');
  if (body.toString('hex', 8, 40) !== from) throw bad('from', `delta from image ${body.toString('hex', 8, 40)}, expected ${from}`);
  if (body.toString('hex', 40, 72) !== to) throw bad('to', `delta to image ${body.toString('hex', 40, 72)}, expected ${to}`);
  const size = body.readBigUInt64LE(72);
  if (size !== BigInt(body.length - HEADER_SIZE)) throw bad('size', `announces ${size} bytes, holds ${body.length - HEADER_SIZE}`);
  const next = body.subarray(HEADER_SIZE);
  const common = Math.min(old.length, next.length);
  for (let i = 0; i < common; i++) next[i] ^= old[i];
  return new Uint8Array(next.buffer, next.byteOffset, next.length);
}

/** The image a stub commit names: `ostree.composefs.digest.v0`, equal to `cfskit.image` when that is present. */
export function stubImageDigest(commit: Commit, file: string): string {
  const v = lookup(commit.metadata, META.composefsDigest);
  if (v?.type !== 'ay' || (v.value as Uint8Array).length !== 32) throw new CfsError('not a composefs stub commit (no ostree.composefs.digest.v0)', { file, field: META.composefsDigest, code: 'ENOTSTUB' });
  const hex = toHex(v.value as Uint8Array);
  const named = lookup(commit.metadata, META.image);
  if (named && named.value !== hex) throw new CfsError(`cfskit.image ${String(named.value)} differs from ostree.composefs.digest.v0 ${hex}`, { file, field: META.image, code: 'EDIGEST' });
  return hex;
}

/**
 * `cfskit static-delta generate`: writes the delta from the image of commit `fromRev` (default:
 * the parent of `toRev`) to that of `toRev`, both stored here; returns its path in the repo and size.
 */
export function generateDelta(repo: Repo, toRev: string, fromRev?: string): { path: string; size: number } {
  const to = readCommit(repo, toRev);
  const fromChecksum = fromRev ?? to.commit.parent;
  if (!fromChecksum) throw new CfsError(`commit ${to.checksum} has no parent: give --from`, { field: 'from', code: 'EUSAGE' });
  const from = readCommit(repo, fromChecksum);
  const images = [from, to].map((c) => {
    const hex = stubImageDigest(c.commit, `commit ${c.checksum}`);
    const file = join(cfsPaths(repo).objects, objectPath(hex));
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new CfsError(`image of commit ${c.checksum} is not stored here: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file, code: 'ENOENT' });
    }
    const d = digestBytes(bytes).hex;
    if (d !== hex) throw new CfsError(`image has fs-verity digest ${d}, expected ${hex}`, { file, code: 'EDIGEST' });
    return { hex, bytes };
  });
  const path = deltaPath(images[0].hex, images[1].hex);
  const data = encodeDelta(images[0].hex, images[0].bytes, images[1].hex, images[1].bytes);
  writeFileAtomic(join(repo.path, path), data, { tmpDir: repo.tmpDir, fs: repoFs(repo) });
  return { path, size: data.length };
}
