/**
 * Image deltas (docs/FORMAT.md "Image deltas"): a static file `cfs/deltas/FROM-TO` beside the
 * images, keyed by the fs-verity digests of the image a client has (FROM) and the one it wants
 * (TO). Its content is gzip over a header (magic, FROM, TO, TO's size) and a list of operations
 * that build TO: copy a range of FROM, or insert bytes. Images of two versions of one tree share
 * most of their bytes, often shifted (an inode that grew moves all after it), so the list is the
 * changed bytes and a copy per unchanged run. A pull applies a delta only to an image it holds
 * and stores the result only when its fs-verity digest is TO; otherwise it fetches the whole image.
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
const MAGIC = Buffer.from('CFSDCPY0', 'latin1');
/** magic (8) ‖ FROM (32) ‖ TO (32) ‖ TO's size (u64 little-endian). */
const HEADER_SIZE = 80;
/** Operation tags: COPY u32 offset, u32 length (of FROM); INSERT u32 length, then the bytes. */
const COPY = 1;
const INSERT = 2;
/** Bytes a match must have before the encoder copies instead of inserting; FROM is indexed every STEP bytes. */
const MATCH = 32;
const STEP = 16;
const PRIME = 0x01000193;

/** The delta's path in a repository (and below a remote's URL). */
export function deltaPath(from: string, to: string): string {
  return `cfs/deltas/${from}-${to}`;
}

/** Rolling hash of `MATCH` bytes of `b` at `at`. */
function hashAt(b: Uint8Array, at: number): number {
  let h = 0;
  for (let k = 0; k < MATCH; k++) h = (Math.imul(h, PRIME) + b[at + k]) | 0;
  return h;
}

/** The delta file taking image `from` (hex digest, bytes `old`) to image `to` (bytes `next`). */
export function encodeDelta(from: string, old: Uint8Array, to: string, next: Uint8Array): Uint8Array {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.write(from, 8, 'hex');
  header.write(to, 40, 'hex');
  header.writeBigUInt64LE(BigInt(next.length), 72);
  const out: Uint8Array[] = [header];
  const op = (tag: number, a: number, b: number) => {
    const o = Buffer.allocUnsafe(tag === COPY ? 9 : 5);
    o[0] = tag;
    o.writeUInt32LE(a, 1);
    if (tag === COPY) o.writeUInt32LE(b, 5);
    out.push(o);
  };
  const insert = (start: number, end: number) => {
    if (end <= start) return;
    op(INSERT, end - start, 0);
    out.push(next.subarray(start, end));
  };
  const index = new Map<number, number>();
  for (let o = 0; o + MATCH <= old.length; o += STEP) {
    const h = hashAt(old, o);
    if (!index.has(h)) index.set(h, o);
  }
  let top = 1; // PRIME ** (MATCH - 1), the weight of the byte leaving the window
  for (let k = 1; k < MATCH; k++) top = Math.imul(top, PRIME);
  let pending = 0;
  let i = 0;
  let h = next.length >= MATCH ? hashAt(next, 0) : 0;
  while (i + MATCH <= next.length) {
    const at = index.get(h);
    if (at !== undefined && Buffer.compare(old.subarray(at, at + MATCH), next.subarray(i, i + MATCH)) === 0) {
      let s = i;
      let o = at;
      while (s > pending && o > 0 && next[s - 1] === old[o - 1]) s--, o--;
      let e = i + MATCH;
      let oe = at + MATCH;
      while (e < next.length && oe < old.length && next[e] === old[oe]) e++, oe++;
      insert(pending, s);
      op(COPY, o, e - s);
      i = pending = e;
      if (i + MATCH <= next.length) h = hashAt(next, i);
      continue;
    }
    if (i + MATCH < next.length) h = (Math.imul((h - Math.imul(next[i], top)) | 0, PRIME) + next[i + MATCH]) | 0;
    i++;
  }
  insert(pending, next.length);
  return gzipSync(Buffer.concat(out), { level: 9 });
}

/**
 * TO's bytes from a delta and FROM's bytes; a CfsError naming `file` when the delta is not one
 * from `from` to `to` (bad gzip, wrong header, an operation outside FROM or the delta, a size
 * over MAX_IMAGE_SIZE or other than announced). The caller checks the result's fs-verity digest.
 */
export function applyDelta(delta: Uint8Array, old: Uint8Array, from: string, to: string, file: string): Uint8Array {
  let body: Buffer;
  try {
    body = gunzipSync(delta, { maxOutputLength: HEADER_SIZE + MAX_IMAGE_SIZE + 5 });
  } catch (e) {
    throw new CfsError(`not a gzip stream of at most ${HEADER_SIZE + MAX_IMAGE_SIZE + 5} bytes: ${(e as Error).message}`, { file, code: 'EOBJECT' });
  }
  const bad = (field: string, why: string) => new CfsError(why, { file, field, code: 'EOBJECT' });
  if (body.length < HEADER_SIZE || !body.subarray(0, 8).equals(MAGIC)) throw bad('magic', 'not an image delta');
  if (body.toString('hex', 8, 40) !== from) throw bad('from', `delta from image ${body.toString('hex', 8, 40)}, expected ${from}`);
  if (body.toString('hex', 40, 72) !== to) throw bad('to', `delta to image ${body.toString('hex', 40, 72)}, expected ${to}`);
  const announced = body.readBigUInt64LE(72);
  if (announced > BigInt(MAX_IMAGE_SIZE)) throw bad('size', `announces ${announced} bytes, more than ${MAX_IMAGE_SIZE}`);
  const size = Number(announced);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let pos = HEADER_SIZE; pos < body.length; ) {
    const tag = body[pos];
    const need = tag === COPY ? 9 : 5;
    if (tag !== COPY && tag !== INSERT) throw bad('operation', `unknown operation ${tag} at byte ${pos}`);
    if (pos + need > body.length) throw bad('operation', `truncated operation at byte ${pos}`);
    const a = body.readUInt32LE(pos + 1);
    if (tag === COPY) {
      const len = body.readUInt32LE(pos + 5);
      if (a + len > old.length) throw bad('copy', `bytes ${a}+${len} at byte ${pos} lie outside the ${old.length}-byte image`);
      parts.push(old.subarray(a, a + len));
      total += len;
    } else {
      if (pos + need + a > body.length) throw bad('insert', `${a} bytes at byte ${pos} run past the delta's end`);
      parts.push(body.subarray(pos + need, pos + need + a));
      total += a;
      pos += a;
    }
    pos += need;
    if (total > size) throw bad('size', `builds more than the ${size} bytes announced`);
  }
  if (total !== size) throw bad('size', `builds ${total} bytes, ${size} announced`);
  return new Uint8Array(Buffer.concat(parts, size));
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
