/**
 * The registry blob cache, `REPO/cfs/oci/` (docs/FORMAT.md "Registry"): `blobs/ALG/HEX` holds
 * manifests, configs and layers exactly as the registry sent them, named by their digest; a blob
 * appears there only complete and verified (written in `tmp/`, hashed while written, fsync,
 * rename). `tmp/` holds downloads under way and the one-manifest layouts a build reads; whoever
 * holds the repo's writer lock may empty it.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { CfsError } from '../errors.js';
import type { Repo } from '../ostree/repo.js';
import { nodeFs } from '../io/fs.js';

export const CACHE_DIR = join('cfs', 'oci');

/** The cache directory of a repo. */
export const repoBlobCache = (repo: Repo): string => join(repo.path, CACHE_DIR);

export class BlobCache {
  readonly blobs: string;
  readonly tmp: string;

  private constructor(readonly root: string) {
    this.blobs = join(root, 'blobs');
    this.tmp = join(root, 'tmp');
  }

  /** Opens (creating) the cache; `exclusive` (the caller holds the writer lock) empties `tmp/`. */
  static async open(root: string, o: { exclusive?: boolean } = {}): Promise<BlobCache> {
    const c = new BlobCache(root);
    if (o.exclusive) await fsp.rm(c.tmp, { recursive: true, force: true });
    await fsp.mkdir(c.tmp, { recursive: true });
    await fsp.mkdir(join(c.blobs, 'sha256'), { recursive: true });
    return c;
  }

  path(digest: string): string {
    const colon = digest.indexOf(':');
    return join(this.blobs, digest.slice(0, colon), digest.slice(colon + 1));
  }

  /** True when the verified blob is here with the expected size. */
  async has(digest: string, size: number): Promise<boolean> {
    const st = await fsp.stat(this.path(digest)).catch(() => null);
    return st !== null && st.isFile() && st.size === size;
  }

  async read(digest: string): Promise<Buffer> {
    return fsp.readFile(this.path(digest));
  }

  /** Stores bytes already verified against `digest`. */
  async putBytes(digest: string, bytes: Uint8Array): Promise<void> {
    const w = await this.writer(digest, bytes.length);
    await w.begin();
    await w.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    await w.commit();
  }

  /** A download into `tmp/`: begin (again on a retry), write chunks, commit checks digest and size and renames. */
  async writer(digest: string, size: number): Promise<BlobWriter> {
    const tmp = join(this.tmp, `${digest.replace(':', '-')}.${process.pid}.${randomBytes(4).toString('hex')}`);
    return new BlobWriter(tmp, this.path(digest), digest, size);
  }
}

export class BlobWriter {
  private file: fsp.FileHandle | undefined;
  private hash: Hash | undefined;
  private written = 0;

  constructor(private readonly tmp: string, private readonly dest: string, readonly digest: string, readonly size: number) {}

  async begin(): Promise<void> {
    await this.file?.close();
    this.file = await fsp.open(this.tmp, 'w', 0o644);
    this.hash = createHash(this.digest.slice(0, this.digest.indexOf(':')));
    this.written = 0;
  }

  /** Appends a chunk; more bytes than the descriptor's size is refused at once. */
  async write(chunk: Buffer): Promise<void> {
    this.written += chunk.length;
    if (this.written > this.size) throw this.mismatch(`blob is larger than its descriptor's ${this.size} bytes`);
    this.hash!.update(chunk);
    for (let off = 0; off < chunk.length;) off += (await this.file!.write(chunk, off)).bytesWritten;
  }

  /** Checks size and digest, then fsync + rename into `blobs/`. */
  async commit(): Promise<void> {
    if (this.written !== this.size) throw this.mismatch(`blob is ${this.written} bytes, its descriptor says ${this.size}`);
    const got = `${this.digest.slice(0, this.digest.indexOf(':'))}:${this.hash!.digest('hex')}`;
    if (got !== this.digest) throw this.mismatch(`blob digest mismatch: content is ${got}`);
    await this.file!.sync();
    await this.file!.close();
    this.file = undefined;
    const dir = dirname(this.dest);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.rename(this.tmp, this.dest);
    nodeFs.fsync(dir);
  }

  /** Removes the temp file (after a failure). */
  async abort(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await fsp.rm(this.tmp, { force: true });
  }

  private mismatch(reason: string): CfsError {
    return new CfsError(reason, { file: this.digest, field: 'blob', code: 'EDIGEST' });
  }
}
