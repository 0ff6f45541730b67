/**
 * The digest store (`mkcomposefs --digest-store=DIR`, spec composefs-image.md §4.1.5; the same
 * layout is the ostree repo's `cfs/objects/`): every backing file lives once at `DIR/XX/REST`,
 * its fs-verity SHA-256 digest in hex split after two characters (composefs-image.md §1.7).
 *
 * Content is hashed once, while it is copied: bytes stream through the fs-verity hasher into a
 * temp file in DIR (src/io/temp-name.ts), which is fsynced and then placed under its digest name
 * (placeTemp, src/io/fs.ts), so an object only ever appears complete and under its true digest. An existing object of the right
 * size is left alone. A failed system call (ENOSPC, EIO, ...) is a CfsError naming the file.
 *
 * Per object only the fsync goes to the thread pool (so several run at once, on the descriptor);
 * open, write, close and rename are synchronous calls, cheaper than a thread-pool round trip each.
 * Every write goes through the Fs seam (src/io/fs.ts).
 *
 * With `syncOnce` (the pull) no object is fsynced by itself: closed temp files wait in a batch;
 * a full batch is made durable by one filesystem sync (Fs.syncfs, a child process while the
 * next batch is written) and only then renamed into place. Where that sync is unavailable each
 * temp file is fsynced instead. flush() places the last batch and syncs again, so the names are
 * durable before anything names the objects.
 */
import { closeSync, fchmodSync, fsync, lstatSync, openSync, promises as fsp, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { digestBytes, FsverityHasher } from '../fsverity/index.js';
import { CfsError, type ErrorPlace, ioError, naming } from '../errors.js';
import { type Fs, dropTemp, ensureDir, nodeFs, ownedTemp, placeTemp } from '../io/fs.js';

/** Objects up to this size are collected in memory first, so a duplicate costs no write. */
const MEMORY_OBJECT_MAX = 1 << 20;
/** Read size for files; smaller files are read in one synchronous call (readSmallFile). */
export const READ_CHUNK = 1 << 20;
/** Object writes running in the background at most (ObjectStore.background). */
const MAX_PENDING_WRITES = 32;
/** A syncOnce batch is synced and placed at this many objects or bytes. */
const BATCH_OBJECTS = 1024;
const BATCH_BYTES = 64 << 20;
/** Mode of a stored object and of the `XX` fan-out directories (composefs-image.md §4.1.5). */
const OBJECT_MODE = 0o644;
const FANOUT_MODE = 0o755;

export interface StoredObject {
  /** fs-verity SHA-256 digest, 32 bytes. */
  digest: Uint8Array;
  /** The object's path relative to the store: `XX/` + 62 hex (the image payload). */
  payload: string;
}

/** `XX/REST` for a 64-hex digest (composefs-image.md §1.7, `digest_to_path`). */
export function objectPath(hex: string): string {
  return `${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/** A temp file being written: its path and open descriptor. */
interface TempFile {
  path: string;
  fd: number;
}

/** Where the content being hashed came from, for error messages. */
export type ContentOrigin = ErrorPlace;

export class ObjectStore {
  readonly dir: string;
  private ready: Promise<void> | null = null;
  /** `XX` directories known to exist. */
  private readonly fanout = new Set<string>();
  /** Objects stored (or being stored) by this process: a duplicate costs no system call. */
  private readonly known = new Set<string>();
  /** Objects has() found missing and not stored since: storing one costs no second lstat. */
  private readonly absent = new Set<string>();
  /** Object writes (write, fsync, rename) still running; see background(). */
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;
  private readonly fs: Fs;
  /** syncOnce: written, closed temp files not yet synced nor placed, and their bytes. */
  private batch: { path: string; hex: string }[] = [];
  private batchBytes = 0n;
  /** syncOnce: directories renamed into since flush() last made the names durable. */
  private readonly renamedInto = new Set<string>();
  /** False once Fs.syncfs reported no filesystem sync: each object is fsynced from then on. */
  private syncfsWorks = true;

  /**
   * With `deferWrites`, objects are written in the background (see background()) and are on
   * disk only after `flush()`; by default every add resolves once its object is on disk.
   */
  constructor(
    dir: string,
    private readonly opts: {
      deferWrites?: boolean;
      /** With deferWrites: one filesystem sync per batch instead of an fsync per object. */
      syncOnce?: boolean;
      /** Where the writes go (default node:fs; crash tests inject failures). */
      fs?: Fs;
    } = {},
  ) {
    this.dir = dir;
    this.fs = opts.fs ?? nodeFs;
  }

  /**
   * True when the object is stored with `size` bytes (a caller holding the repo's writer lock
   * decides what to fetch from this); a missing one is remembered, see `absent`.
   */
  has(hex: string, size: bigint): boolean {
    if (this.known.has(hex)) return true;
    const found = this.hasObject(hex, size);
    if (!found) this.absent.add(hex);
    return found;
  }

  /** Absolute path of the object for a 64-hex digest. */
  pathOf(hex: string): string {
    return join(this.dir, objectPath(hex));
  }

  /**
   * Stores the bytes of `chunks` (exactly `size` bytes, else a CfsError naming `origin`) and
   * returns their digest. With `expect` (64 hex), content with another digest is refused before
   * anything is renamed into the store.
   */
  async addStream(chunks: AsyncIterable<Uint8Array>, size: bigint, origin: ContentOrigin, expect?: string): Promise<StoredObject> {
    await this.init();
    const hasher = new FsverityHasher();
    const held: Uint8Array[] = [];
    let seen = 0n;
    let tmp: TempFile | null = null;
    try {
      for await (const chunk of chunks) {
        seen += BigInt(chunk.length);
        if (seen > size) throw sizeError(origin, size, seen);
        hasher.update(chunk);
        if (tmp) {
          this.writeAll(tmp, chunk);
        } else if (seen <= BigInt(MEMORY_OBJECT_MAX)) {
          held.push(chunk.slice());
        } else {
          tmp = this.openTemp();
          for (const h of held) this.writeAll(tmp, h);
          held.length = 0;
          this.writeAll(tmp, chunk);
        }
      }
      if (seen !== size) throw sizeError(origin, size, seen);
      const d = hasher.digest();
      if (expect !== undefined && d.hex !== expect)
        throw new CfsError(`fs-verity digest ${d.hex}, expected ${expect}`, { ...origin, code: origin.code ?? 'EDIGEST' });
      const written = tmp;
      tmp = null;
      await this.background(() => (written ? this.commitNew(written, d.hex, size) : this.putWhole(held, d.hex, size)));
      return stored(d);
    } finally {
      if (tmp) this.discard(tmp);
    }
  }

  /** Stores bytes held in memory (hashed here); nothing is written when the object exists. */
  async addBytes(data: Uint8Array): Promise<StoredObject> {
    return this.addHashed(data, digestBytes(data));
  }

  /**
   * Stores bytes whose fs-verity digest the caller computed (e.g. in a DigestBatch); the bytes
   * are copied when the write is deferred, so the caller may reuse their buffer.
   */
  async addHashed(data: Uint8Array, d: { bytes: Uint8Array; hex: string }): Promise<StoredObject> {
    await this.init();
    if (!this.known.has(d.hex)) {
      const bytes = this.opts.deferWrites ? data.slice() : data;
      await this.background(() => this.putWhole([bytes], d.hex, BigInt(data.length)));
    }
    return stored(d);
  }

  /** Waits until every object handed to the store is on disk; rethrows the first write failure. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    if (this.failure) {
      this.dropBatch(this.batch.splice(0));
      throw this.failure.error;
    }
    try {
      await this.placeBatch();
      if (this.renamedInto.size > 0 && !(await this.syncFilesystem())) for (const d of this.renamedInto) naming(d, () => this.fs.fsync(d));
      this.renamedInto.clear();
    } catch (error) {
      this.failure = { error };
      throw error;
    }
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
    if (this.isStored(hex, size)) return;
    // the temp file lives in the object's own XX directory: the rename stays within one
    // directory (a rename across directories takes a filesystem-wide lock)
    this.mkFanout(hex.slice(0, 2));
    const tmp = this.openTemp(hex.slice(0, 2));
    try {
      for (const p of parts) this.writeAll(tmp, p);
    } catch (err) {
      this.discard(tmp);
      throw err;
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
    const tmpPath = ownedTemp(this.dir);
    try {
      this.fs.reflink(path, tmpPath);
    } catch {
      dropTemp(this.fs, tmpPath);
      return null;
    }
    let tmp: TempFile | null = null;
    try {
      tmp = { path: tmpPath, fd: openSync(tmpPath, 'r+') };
      const d = await hashChunks(readChunks(tmpPath, size), size, origin);
      const done = tmp;
      tmp = null;
      await this.commitNew(done, d.hex, size);
      return stored(d);
    } finally {
      if (tmp) this.discard(tmp);
    }
  }

  private init(): Promise<void> {
    this.ready ??= Promise.resolve().then(() => {
      try {
        ensureDir(this.fs, this.dir, FANOUT_MODE);
      } catch (e) {
        throw ioError(e, this.dir) ?? e;
      }
    });
    return this.ready;
  }

  /** A fresh temp file in the store's top directory, or in its `XX` directory `xx`. */
  private openTemp(xx = ''): TempFile {
    const path = ownedTemp(join(this.dir, xx));
    try {
      return { path, fd: this.fs.open(path, OBJECT_MODE) };
    } catch (e) {
      dropTemp(this.fs, path);
      throw ioError(e, path) ?? e;
    }
  }

  /** Stored by this process, or on disk with the expected size (not looked up again when has() found it missing). */
  private isStored(hex: string, size: bigint): boolean {
    return this.known.has(hex) || (!this.absent.delete(hex) && this.hasObject(hex, size));
  }

  /** True when the object exists with the expected size; a wrong-sized object is replaced. */
  private hasObject(hex: string, size: bigint): boolean {
    const st = lstatSync(this.pathOf(hex), { bigint: true, throwIfNoEntry: false });
    return st !== undefined && st.isFile() && st.size === size;
  }

  /** Commits a written temp file, or drops it when the object is already stored. */
  private async commitNew(tmp: TempFile, hex: string, size: bigint): Promise<void> {
    if (this.isStored(hex, size)) this.discard(tmp);
    else await this.commit(tmp, hex, size);
  }

  /**
   * chmod and fsync the descriptor (the mode past the umask; the fsync on the thread pool), close,
   * and place the temp file under its digest name; on failure the temp file is removed. A concurrent writer of the same object renames the
   * same bytes. With syncOnce: chmod, close and join the batch, which is placed once full.
   */
  private async commit(tmp: TempFile, hex: string, size: bigint): Promise<void> {
    this.known.add(hex);
    try {
      fchmodSync(tmp.fd, OBJECT_MODE);
      if (this.opts.syncOnce && this.opts.deferWrites) {
        this.fs.close(tmp.fd);
        tmp.fd = -1;
        this.mkFanout(hex.slice(0, 2));
        this.batch.push({ path: tmp.path, hex });
        this.batchBytes += size;
        if (this.batch.length < BATCH_OBJECTS && this.batchBytes < BATCH_BYTES) return;
      } else {
        await new Promise<void>((resolve, reject) => fsync(tmp.fd, (err) => (err ? reject(err) : resolve())));
        this.fs.close(tmp.fd);
        tmp.fd = -1;
        this.mkFanout(hex.slice(0, 2));
        placeTemp(this.fs, tmp.path, this.pathOf(hex), { sync: false });
        return;
      }
    } catch (err) {
      this.known.delete(hex);
      this.discard(tmp);
      throw ioError(err, tmp.path) ?? err;
    }
    await this.placeBatch();
  }

  /**
   * Makes the batch's temp files durable (one filesystem sync, else an fsync each), then renames
   * them into place; on failure the temp files not placed are removed.
   */
  private async placeBatch(): Promise<void> {
    const batch = this.batch.splice(0);
    this.batchBytes = 0n;
    if (batch.length === 0) return;
    let placed = 0;
    try {
      if (!(await this.syncFilesystem())) for (const b of batch) naming(b.path, () => this.fs.fsync(b.path));
      for (const b of batch) {
        const path = this.pathOf(b.hex);
        naming(b.path, () => placeTemp(this.fs, b.path, path, { sync: false }));
        placed++;
        this.renamedInto.add(dirname(path));
      }
    } catch (err) {
      this.dropBatch(batch.slice(placed));
      throw err;
    }
  }

  /** Removes temp files of a batch that will not be placed. */
  private dropBatch(batch: { path: string; hex: string }[]): void {
    for (const b of batch) {
      this.known.delete(b.hex);
      dropTemp(this.fs, b.path);
    }
  }

  /** One syncfs of the store's filesystem; false (and never tried again) where there is none. */
  private async syncFilesystem(): Promise<boolean> {
    this.syncfsWorks &&= await naming(this.dir, () => this.fs.syncfs(this.dir));
    return this.syncfsWorks;
  }

  private writeAll(tmp: TempFile, chunk: Uint8Array): void {
    naming(tmp.path, () => this.fs.write(tmp.fd, chunk));
  }

  /** Closes (if still open) and removes a temp file. */
  private discard(tmp: TempFile): void {
    if (tmp.fd >= 0) {
      try {
        this.fs.close(tmp.fd);
      } catch {
        // already failed: the removal below is what matters
      }
      tmp.fd = -1;
    }
    dropTemp(this.fs, tmp.path);
  }

  private mkFanout(xx: string): void {
    if (this.fanout.has(xx)) return;
    try {
      this.fs.mkdir(join(this.dir, xx), FANOUT_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(err, join(this.dir, xx)) ?? err;
    }
    this.fanout.add(xx);
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
  const buf = Buffer.allocUnsafe(want);
  return buf.subarray(0, readFileInto(path, buf).got);
}

const probe = Buffer.alloc(1);

/**
 * Reads a file synchronously into `into` until it is full or the file ends; `more` tells whether
 * the file has bytes beyond (checked only when `into` was filled).
 */
export function readFileInto(path: string | Buffer, into: Uint8Array): { got: number; more: boolean } {
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    for (let n = -1; n !== 0 && got < into.length; got += n) n = readSync(fd, into, got, into.length - got, null);
    return { got, more: got === into.length && readSync(fd, probe, 0, 1, null) > 0 };
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
