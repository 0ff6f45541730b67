/**
 * A regular file's content as a source hands it to the tree, the way mkcomposefs directory mode
 * does (spec composefs-image.md §4.1.4 step 2): size 0 → nothing; 1..64 bytes → inline content;
 * larger → fs-verity digest and payload `XX/REST` (composefs-image.md §1.7), the bytes copied into the digest
 * store when there is one (composefs-image.md §4.1.5).
 */
import { Node } from '../../tree/tree.js';
import { CfsError } from '../../errors.js';
import { open } from 'node:fs/promises';
import { DigestBatch, digestBytes, FsverityHasher, type FsverityDigest } from '../../fsverity/index.js';
import { hashOpenFile } from '../../fsverity/file.js';
import {
  hashChunks,
  ObjectStore,
  READ_CHUNK,
  readFileInto,
  readSmallFile,
  sizeError,
  stored,
  type ContentOrigin,
  type StoredObject,
} from '../../store/objects.js';

/** `LCFS_RECOMMENDED_INLINE_CONTENT_MAX`: directory-mode files up to this size are inlined (composefs-image.md §4.1.4). */
export const RECOMMENDED_INLINE_CONTENT_MAX = 64;

const encoder = new TextEncoder();

/**
 * Sets `node.size` and its content or digest+payload from exactly `size` bytes of `chunks`. With
 * a batcher, a batchable file's digest (and object) is set once the batcher is finished.
 */
export async function fillContent(
  node: Node,
  chunks: AsyncIterable<Uint8Array>,
  size: bigint,
  origin: ContentOrigin,
  store: ObjectStore | null,
  batcher?: ContentBatcher<Node>,
): Promise<void> {
  node.size = size;
  if (size <= BigInt(RECOMMENDED_INLINE_CONTENT_MAX)) {
    node.content = size === 0n ? null : await collect(chunks, new Uint8Array(Number(size)), origin);
    return;
  }
  if (batcher && batchable(size)) return batcher.addChunks(node, chunks, Number(size), origin);
  setExternal(node, store ? await store.addStream(chunks, size, origin) : stored(await hashChunks(chunks, size, origin)));
}

/**
 * As `fillContent`, for a file on disk. A file under READ_CHUNK is read in one synchronous call
 * and hashed in memory; a larger one streams (into the store, which may reflink it instead).
 */
export async function fillContentFromFile(
  node: Node,
  path: Buffer,
  size: bigint,
  origin: ContentOrigin,
  store: ObjectStore | null,
): Promise<void> {
  node.size = size;
  if (size === 0n) return;
  if (size < BigInt(READ_CHUNK)) {
    const data = readSmallFile(path, Number(size) + 1);
    if (data.length !== Number(size)) throw sizeError(origin, size, BigInt(data.length));
    if (size <= BigInt(RECOMMENDED_INLINE_CONTENT_MAX)) {
      node.content = data;
      return;
    }
    const obj = store ? await store.addBytes(data) : stored(digestBytes(data));
    setExternal(node, obj);
    return;
  }
  setExternal(node, store ? await store.addFile(path, size, origin) : stored(await hashLargeFile(path, size, origin)));
}

/** A large file's digest without a store: read into Wasm memory and hashed in place (no copy, no fresh buffers). */
async function hashLargeFile(path: Buffer, size: bigint, origin: ContentOrigin): Promise<FsverityDigest> {
  const file = await open(path, 'r');
  try {
    const hasher = new FsverityHasher();
    const got = await hashOpenFile(file, hasher);
    if (got !== Number(size)) throw sizeError(origin, size, BigInt(got));
    return hasher.digest();
  } finally {
    await file.close();
  }
}

/** True for a file the batch path takes: 65 bytes .. under READ_CHUNK (read in one call, hashed with others). */
export function batchable(size: bigint): boolean {
  return size > BigInt(RECOMMENDED_INLINE_CONTENT_MAX) && size < BigInt(READ_CHUNK);
}

/**
 * Batchable files read straight into a DigestBatch (Wasm memory) and hashed together, four
 * blocks of any files per SIMD pass, then stored when there is a store. add() each file, then
 * finish(); done(tag, object) is called for every file by the time finish() resolves.
 */
export class ContentBatcher<T> {
  private readonly batch = new DigestBatch();
  private waiting: T[] = [];
  /** Where addChunks gathers a file's chunks (one file at a time). */
  private stage: Uint8Array | undefined;

  constructor(
    private readonly store: ObjectStore | null,
    private readonly done: (tag: T, obj: StoredObject) => void,
  ) {}

  /** Adds a file on disk, read straight into the batch. */
  addFile(tag: T, path: string | Buffer, size: number, origin: ContentOrigin): Promise<void> {
    return this.add(tag, size, (view) => {
      let read: { got: number; more: boolean };
      try {
        read = readFileInto(path, view);
      } catch (err) {
        throw accessError(path, err);
      }
      if (read.got !== size || read.more) throw sizeError(origin, BigInt(size), BigInt(read.more ? size + 1 : read.got));
    });
  }

  /** Adds exactly `size` bytes of chunks (staged here, then copied into the batch). */
  async addChunks(tag: T, chunks: AsyncIterable<Uint8Array>, size: number, origin: ContentOrigin): Promise<void> {
    this.stage ??= new Uint8Array(READ_CHUNK);
    const data = await collect(chunks, this.stage.subarray(0, size), origin);
    return this.add(tag, size, (view) => view.set(data));
  }

  private async add(tag: T, size: number, fill: (view: Uint8Array) => void): Promise<void> {
    if (!this.batch.fits(size)) await this.finish();
    this.batch.add(size, fill);
    this.waiting.push(tag);
  }

  /** Hashes (and stores) the files added so far. */
  async finish(): Promise<void> {
    const digests = this.batch.digests();
    for (const [i, d] of digests.entries()) {
      this.done(this.waiting[i], this.store ? await this.store.addHashed(this.batch.data(i), d) : stored(d));
    }
    this.batch.clear();
    this.waiting = [];
  }
}

/** The regular files of a directory source on this thread: batchable ones batched, others one by one. */
export class FileContents {
  private readonly batcher: ContentBatcher<Node>;

  constructor(private readonly store: ObjectStore | null) {
    this.batcher = new ContentBatcher(store, setExternal);
  }

  async add(node: Node, path: Buffer, size: bigint, origin: ContentOrigin): Promise<void> {
    if (!batchable(size)) return fillContentFromFile(node, path, size, origin, this.store);
    node.size = size;
    return this.batcher.addFile(node, path, Number(size), origin);
  }

  finish(): Promise<void> {
    return this.batcher.finish();
  }
}

/** The error for a file that cannot be read (as mkcomposefs words it). */
export function accessError(path: string | Buffer, err: unknown): CfsError {
  const e = err as NodeJS.ErrnoException;
  return new CfsError(`error accessing: ${e.code ?? e.message}`, { file: path.toString(), code: 'EDIR' }, { cause: err });
}

/** Sets a node's digest and payload from its stored (or store-named) object. */
export function setExternal(node: Node, obj: StoredObject): void {
  node.digest = obj.digest;
  node.payload = encoder.encode(obj.payload);
}

/** Copies exactly out.length bytes of chunks into out (a decompressor may reuse its buffers). */
async function collect(chunks: AsyncIterable<Uint8Array>, out: Uint8Array, origin: ContentOrigin): Promise<Uint8Array> {
  const size = out.length;
  let off = 0;
  for await (const chunk of chunks) {
    if (off + chunk.length > size) throw sizeError(origin, BigInt(size), BigInt(off + chunk.length));
    out.set(chunk, off);
    off += chunk.length;
  }
  if (off !== size) throw sizeError(origin, BigInt(size), BigInt(off));
  return out;
}
