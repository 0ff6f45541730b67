/**
 * The digest store (`mkcomposefs --digest-store=DIR`, spec composefs-image.md §4.1.5; the same
 * layout is the ostree repo's `cfs/objects/`): every backing file lives once at `DIR/XX/REST`,
 * its fs-verity SHA-256 digest in hex split after two characters (spec §1.7).
 *
 * Content is hashed once, while it is copied: bytes stream through the fs-verity hasher into a
 * temp file in DIR, which is fsynced and then renamed to its digest name, so an object only ever
 * appears complete and under its true digest. An existing object of the right size is left alone.
 */
import { closeSync, constants, openSync, promises as fsp, readSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, FsverityHasher } from '../fsverity/index.js';
import { CfsError, type ErrorPlace } from '../errors.js';

/** Objects up to this size are collected in memory first, so a duplicate costs no write. */
const MEMORY_OBJECT_MAX = 1 << 20;
/** Read size for files; smaller files are read in one synchronous call (readSmallFile). */
export const READ_CHUNK = 1 << 20;
/** Object writes running in the background at most (ObjectStore.background). */
const MAX_PENDING_WRITES = 32;
/** Mode of a stored object and of the `XX` fan-out directories (spec §4.1.5). */
const OBJECT_MODE = 0o644;
const FANOUT_MODE = 0o755;

export interface StoredObject {
  /** fs-verity SHA-256 digest, 32 bytes. */
  digest: Uint8Array;
  /** The object's path relative to the store: `XX/` + 62 hex (the image payload). */
  payload: string;
}

/** `XX/REST` for a 64-hex digest (spec §1.7, `digest_to_path`). */
export function objectPath(hex: string): string {
  return `${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/** Where the content being hashed came from, for error messages. */
export type ContentOrigin = ErrorPlace;

export class ObjectStore {
  readonly dir: string;
  private ready: Promise<void> | null = null;
  private readonly fanout = new Map<string, Promise<unknown>>();
  /** Object writes (write, fsync, rename) still running; see background(). */
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  /**
   * With `deferWrites`, objects are written in the background (see background()) and are on
   * disk only after `flush()`; by default every add resolves once its object is on disk.
   */
  constructor(
    dir: string,
    private readonly opts: { deferWrites?: boolean } = {},
  ) {
    this.dir = dir;
  }

  /** Absolute path of the object for a 64-hex digest. */
  pathOf(hex: string): string {
    return join(this.dir, objectPath(hex));
  }

  /**
   * Stores the bytes of `chunks` (exactly `size` bytes, else a CfsError naming `origin`) and
   * returns their digest.
   */
  async addStream(chunks: AsyncIterable<Uint8Array>, size: bigint, origin: ContentOrigin): Promise<StoredObject> {
    await this.init();
    const hasher = new FsverityHasher();
    const held: Uint8Array[] = [];
    let seen = 0n;
    let tmp: { path: string; fh: fsp.FileHandle } | null = null;
    try {
      for await (const chunk of chunks) {
        seen += BigInt(chunk.length);
        if (seen > size) throw sizeError(origin, size, seen);
        hasher.update(chunk);
        if (tmp) {
          await writeAll(tmp.fh, chunk);
        } else if (seen <= BigInt(MEMORY_OBJECT_MAX)) {
          held.push(chunk.slice());
        } else {
          tmp = await this.openTemp();
          for (const h of held) await writeAll(tmp.fh, h);
          held.length = 0;
          await writeAll(tmp.fh, chunk);
        }
      }
      if (seen !== size) throw sizeError(origin, size, seen);
      const d = hasher.digest();
      const written = tmp;
      tmp = null;
      await this.background(() => (written ? this.commit(written, d.hex, size) : this.putWhole(held, d.hex, size)));
      return stored(d);
    } finally {
      if (tmp) await discard(tmp);
    }
  }

  /** Stores bytes held in memory (hashed here); nothing is written when the object exists. */
  async addBytes(data: Uint8Array): Promise<StoredObject> {
    await this.init();
    const d = digestBytes(data);
    await this.background(() => this.putWhole([data], d.hex, BigInt(data.length)));
    return stored(d);
  }

  /** Waits until every object handed to the store is on disk; rethrows the first write failure. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    if (this.failure) throw this.failure.error;
  }

  /**
   * With deferWrites, runs an object write in the background, so reading and hashing go on while
   * objects are fsynced; at most MAX_PENDING_WRITES at once. A failure surfaces at the next call
   * or flush(). Without, just awaits the write.
   */
  private async background(write: () => Promise<void>): Promise<void> {
    if (!this.opts.deferWrites) return write();
    if (this.failure) throw this.failure.error;
    while (this.pending.size >= MAX_PENDING_WRITES) await Promise.race(this.pending);
    const p: Promise<void> = write()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async putWhole(parts: Uint8Array[], hex: string, size: bigint): Promise<void> {
    if (await this.hasObject(hex, size)) return;
    const tmp = await this.openTemp();
    for (const p of parts) {
      await writeAll(tmp.fh, p).catch((err) => discard(tmp).then(() => Promise.reject(err)));
    }
    await this.commit(tmp, hex, size);
  }

  /**
   * Stores a regular file of `size` bytes. A reflink (FICLONE) copy is tried first, and the clone
   * is hashed; otherwise the file is read once, through the hasher into the temp file.
   */
  async addFile(path: string | Buffer, size: bigint, origin: ContentOrigin): Promise<StoredObject> {
    if (size > BigInt(MEMORY_OBJECT_MAX)) {
      const cloned = await this.tryReflink(path, size, origin);
      if (cloned) return cloned;
    }
    return this.addStream(readChunks(path, size), size, origin);
  }

  private async tryReflink(path: string | Buffer, size: bigint, origin: ContentOrigin): Promise<StoredObject | null> {
    await this.init();
    const tmpPath = this.tempName();
    try {
      await fsp.copyFile(path, tmpPath, constants.COPYFILE_FICLONE_FORCE);
    } catch {
      await fsp.rm(tmpPath, { force: true });
      return null;
    }
    let fh: fsp.FileHandle | null = null;
    try {
      fh = await fsp.open(tmpPath, 'r+');
      const d = await hashChunks(readChunks(tmpPath, size), size, origin);
      if (await this.hasObject(d.hex, size)) {
        await discard({ path: tmpPath, fh });
      } else {
        await this.commit({ path: tmpPath, fh }, d.hex, size);
      }
      fh = null;
      return stored(d);
    } finally {
      if (fh) await discard({ path: tmpPath, fh });
    }
  }

  private init(): Promise<void> {
    this.ready ??= fsp.mkdir(this.dir, { recursive: true, mode: FANOUT_MODE }).then(() => undefined);
    return this.ready;
  }

  private tempName(): string {
    return join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
  }

  private async openTemp(): Promise<{ path: string; fh: fsp.FileHandle }> {
    const path = this.tempName();
    return { path, fh: await fsp.open(path, 'wx', OBJECT_MODE) };
  }

  /** True when the object exists with the expected size; a wrong-sized object is replaced. */
  private async hasObject(hex: string, size: bigint): Promise<boolean> {
    try {
      const st = await fsp.lstat(this.pathOf(hex), { bigint: true });
      return st.isFile() && st.size === size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * fsync, close and rename the temp file to its digest name (unless it appeared meanwhile);
   * on failure the temp file is removed.
   */
  private async commit(tmp: { path: string; fh: fsp.FileHandle }, hex: string, size: bigint): Promise<void> {
    try {
      await tmp.fh.chmod(OBJECT_MODE);
      await tmp.fh.sync();
      await tmp.fh.close();
      if (await this.hasObject(hex, size)) {
        await fsp.rm(tmp.path, { force: true });
        return;
      }
      await this.mkFanout(hex.slice(0, 2));
      await fsp.rename(tmp.path, this.pathOf(hex));
    } catch (err) {
      await discard(tmp);
      throw err;
    }
  }

  private mkFanout(xx: string): Promise<unknown> {
    let p = this.fanout.get(xx);
    if (!p) {
      p = fsp.mkdir(join(this.dir, xx), { mode: FANOUT_MODE }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      this.fanout.set(xx, p);
    }
    return p;
  }
}

/** Hashes exactly `size` bytes from `chunks` (no store): the digest only. */
export async function hashChunks(
  chunks: AsyncIterable<Uint8Array>,
  size: bigint,
  origin: ContentOrigin,
): Promise<{ bytes: Uint8Array; hex: string }> {
  const hasher = new FsverityHasher();
  let seen = 0n;
  for await (const chunk of chunks) {
    seen += BigInt(chunk.length);
    if (seen > size) throw sizeError(origin, size, seen);
    hasher.update(chunk);
  }
  if (seen !== size) throw sizeError(origin, size, seen);
  const d = hasher.digest();
  return { bytes: d.bytes, hex: d.hex };
}

/**
 * Reads a file in fresh chunks (never reused, so callers may keep them). A file of known size up
 * to READ_CHUNK is read synchronously in one go (open, one read asking for a byte more, close):
 * for small files that is several times faster than the thread-pool round trips. A short read
 * ends the file.
 */
export async function* readChunks(path: string | Buffer, size = -1n): AsyncGenerator<Uint8Array> {
  if (size >= 0n && size < BigInt(READ_CHUNK)) {
    yield readSmallFile(path, Number(size) + 1);
    return;
  }
  const fh = await fsp.open(path, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead > 0) yield buf.subarray(0, bytesRead);
      if (bytesRead < READ_CHUNK) return;
    }
  } finally {
    await fh.close();
  }
}

/** Reads up to `want` bytes of a file synchronously (fewer at its end). */
export function readSmallFile(path: string | Buffer, want: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    for (let n = -1; n !== 0 && got < want; got += n) n = readSync(fd, buf, got, want - got, null);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The store name of a digest: what an object with that content is (or would be) stored as. */
export function stored(d: { bytes: Uint8Array; hex: string }): StoredObject {
  return { digest: d.bytes, payload: objectPath(d.hex) };
}

/** The error for content longer or shorter than announced (a lying tar header, a file changed while read). */
export function sizeError(origin: ContentOrigin, expected: bigint, seen: bigint): CfsError {
  const why = seen > expected ? `more than the ${expected} bytes announced` : `${seen} bytes, ${expected} announced`;
  return new CfsError(`content size mismatch: ${why}`, { ...origin, code: origin.code ?? 'ESIZE' });
}

async function writeAll(fh: fsp.FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

async function discard(tmp: { path: string; fh: fsp.FileHandle }): Promise<void> {
  await tmp.fh.close().catch(() => undefined);
  await fsp.rm(tmp.path, { force: true });
}
