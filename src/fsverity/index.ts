/**
 * fs-verity digests identical to fsverity-utils (`fsverity digest`) and the kernel: SHA-256 or
 * SHA-512, Merkle block size, optional salt (composefs-image.md §1).
 */
import { FsverityHasher } from './hasher.js';
import type { FsverityDigest } from './descriptor.js';
import type { FsverityOptions } from './params.js';

export { FsverityHasher } from './hasher.js';
export { digestFile } from './file.js';
export { DigestBatch, digestMany } from './batch.js';
export type { FsverityDigest } from './descriptor.js';
export type { FsverityOptions, HashAlg } from './params.js';
export { sha256, sha512 } from '../wasm/sha.js';

/** Digest of bytes in memory, on the calling thread. */
export function digestBytes(data: Uint8Array, opts?: FsverityOptions): FsverityDigest {
  const h = new FsverityHasher(opts);
  h.update(data);
  return h.digest();
}

/** Digest of a stream of chunks (any sizes), in constant memory. */
export async function digestStream(stream: AsyncIterable<Uint8Array>, opts?: FsverityOptions): Promise<FsverityDigest> {
  const h = new FsverityHasher(opts);
  for await (const chunk of stream) h.update(chunk);
  return h.digest();
}
