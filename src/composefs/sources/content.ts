/**
 * A regular file's content as a source hands it to the tree, the way mkcomposefs directory mode
 * does (spec composefs-image.md §4.1.4 step 2): size 0 → nothing; 1..64 bytes → inline content;
 * larger → fs-verity digest and payload `XX/REST` (spec §1.7), the bytes copied into the digest
 * store when there is one (§4.1.5).
 */
import { Node } from '../tree.js';
import { DigestBatch, digestBytes } from '../../fsverity/index.js';
import {
  hashChunks,
  ObjectStore,
  READ_CHUNK,
  readChunks,
  readFileInto,
  readSmallFile,
  sizeError,
  stored,
  type ContentOrigin,
  type StoredObject,
} from '../../store/objects.js';

/** `LCFS_RECOMMENDED_INLINE_CONTENT_MAX`: directory-mode files up to this size are inlined (§4.1.4). */
export const RECOMMENDED_INLINE_CONTENT_MAX = 64;

const encoder = new TextEncoder();

/** Sets `node.size` and its content or digest+payload from exactly `size` bytes of `chunks`. */
export async function fillContent(
  node: Node,
  chunks: AsyncIterable<Uint8Array>,
  size: bigint,
  origin: ContentOrigin,
  store: ObjectStore | null,
): Promise<void> {
  node.size = size;
  if (size <= BigInt(RECOMMENDED_INLINE_CONTENT_MAX)) {
    node.content = size === 0n ? null : await collect(chunks, Number(size), origin);
    return;
  }
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
  const obj = store
    ? await store.addFile(path, size, origin)
    : stored(await hashChunks(readChunks(path, size), size, origin));
  setExternal(node, obj);
}

/**
 * The regular files of a directory source, in batches: a file of 65 bytes .. READ_CHUNK is read
 * straight into a DigestBatch (Wasm memory) and hashed with its neighbours, four blocks of any
 * files per SIMD pass; other files go through fillContentFromFile. add() each file, then
 * finish(): every node's content is set once finish() resolves.
 */
export class FileContents {
  private readonly batch = new DigestBatch();
  private waiting: Node[] = [];

  constructor(private readonly store: ObjectStore | null) {}

  async add(node: Node, path: Buffer, size: bigint, origin: ContentOrigin): Promise<void> {
    if (size <= BigInt(RECOMMENDED_INLINE_CONTENT_MAX) || size >= BigInt(READ_CHUNK)) {
      return fillContentFromFile(node, path, size, origin, this.store);
    }
    node.size = size;
    const n = Number(size);
    if (!this.batch.fits(n)) await this.finish();
    this.batch.add(n, (view) => {
      const { got, more } = readFileInto(path, view);
      if (got !== n || more) throw sizeError(origin, size, more ? size + 1n : BigInt(got));
    });
    this.waiting.push(node);
  }

  /** Hashes the files added so far (and stores them when there is a store). */
  async finish(): Promise<void> {
    const digests = this.batch.digests();
    for (const [i, d] of digests.entries()) {
      setExternal(this.waiting[i], this.store ? await this.store.addHashed(this.batch.data(i), d) : stored(d));
    }
    this.batch.clear();
    this.waiting = [];
  }
}

function setExternal(node: Node, obj: StoredObject): void {
  node.digest = obj.digest;
  node.payload = encoder.encode(obj.payload);
}

async function collect(chunks: AsyncIterable<Uint8Array>, size: number, origin: ContentOrigin): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let off = 0;
  for await (const chunk of chunks) {
    if (off + chunk.length > size) throw sizeError(origin, BigInt(size), BigInt(off + chunk.length));
    out.set(chunk, off);
    off += chunk.length;
  }
  if (off !== size) throw sizeError(origin, BigInt(size), BigInt(off));
  return out;
}
