/**
 * A regular file's content as a source hands it to the tree, the way mkcomposefs directory mode
 * does (spec composefs-image.md §4.1.4 step 2): size 0 → nothing; 1..64 bytes → inline content;
 * larger → fs-verity digest and payload `XX/REST` (spec §1.7), the bytes copied into the digest
 * store when there is one (§4.1.5).
 */
import { Node } from '../tree.js';
import { hashChunks, objectPath, ObjectStore, readChunks, sizeError, type ContentOrigin } from '../../store/objects.js';

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
  const obj = store
    ? await store.addStream(chunks, size, origin)
    : await hashChunks(chunks, size, origin).then((d) => ({ digest: d.bytes, payload: objectPath(d.hex) }));
  node.digest = obj.digest;
  node.payload = encoder.encode(obj.payload);
}

/** As `fillContent`, for a file on disk (the store may reflink it instead of copying). */
export async function fillContentFromFile(
  node: Node,
  path: Buffer,
  size: bigint,
  origin: ContentOrigin,
  store: ObjectStore | null,
): Promise<void> {
  if (store && size > BigInt(RECOMMENDED_INLINE_CONTENT_MAX)) {
    const obj = await store.addFile(path, size, origin);
    node.size = size;
    node.digest = obj.digest;
    node.payload = encoder.encode(obj.payload);
    return;
  }
  await fillContent(node, size === 0n ? empty() : readChunks(path, size), size, origin, store);
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

async function* empty(): AsyncGenerator<Uint8Array> {}
