/**
 * fs-verity parameters (composefs-image.md §1.1, §1.2, §1.4): hash algorithm, Merkle block size, salt.
 * Validation here gives the refusals fsverity-utils gives, as CfsErrors.
 */
import { CfsError } from '../errors.js';
import { IO_SIZE } from '../wasm/buffers.js';
import { SHA256_ID, SHA512_ID, type BlockHashing, type HashAlgId } from '../wasm/sha.js';

export type HashAlg = 'sha256' | 'sha512';

export interface FsverityOptions {
  hashAlg?: HashAlg;
  blockSize?: number;
  salt?: Uint8Array;
}

export const HASH_ALGS: Record<HashAlg, { id: HashAlgId; digestSize: number; hashBlock: number }> = {
  sha256: { id: SHA256_ID, digestSize: 32, hashBlock: 64 },
  sha512: { id: SHA512_ID, digestSize: 64, hashBlock: 128 },
};

export const DEFAULT_HASH_ALG: HashAlg = 'sha256';
export const DEFAULT_BLOCK_SIZE = 4096;
/** The descriptor's salt field is 32 bytes (composefs-image.md §1.4). */
export const MAX_SALT_SIZE = 32;
/** fsverity-utils accepts larger powers of two; the kernel stops at the page size (≤ 64 KiB). */
export const MAX_BLOCK_SIZE = IO_SIZE;

export interface VerityParams extends BlockHashing {
  hashAlg: HashAlg;
  digestSize: number;
  /** Digests per tree block (composefs-image.md §1.3). */
  arity: number;
  salt: Uint8Array;
}

export function isHashAlg(name: string): name is HashAlg {
  return Object.hasOwn(HASH_ALGS, name);
}

export function resolveParams(opts: FsverityOptions = {}): VerityParams {
  const hashAlg = opts.hashAlg ?? DEFAULT_HASH_ALG;
  if (!isHashAlg(hashAlg)) {
    throw new CfsError(`unknown hash algorithm '${String(hashAlg)}' (available: sha256 sha512)`, { field: 'hashAlg', code: 'EARG' });
  }
  const { id, digestSize, hashBlock } = HASH_ALGS[hashAlg];
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1 || (blockSize & (blockSize - 1)) !== 0 || blockSize > 2 ** 31) {
    throw new CfsError(`${blockSize} is not a power of 2`, { field: 'blockSize', code: 'EARG' });
  }
  if (blockSize < 2 * digestSize) {
    throw new CfsError(`${blockSize} is too small for hash algorithm ${hashAlg} (at least ${2 * digestSize})`, { field: 'blockSize', code: 'EARG' });
  }
  if (blockSize > MAX_BLOCK_SIZE) {
    throw new CfsError(`${blockSize} is larger than the largest supported, ${MAX_BLOCK_SIZE}`, { field: 'blockSize', code: 'EARG' });
  }
  const salt = opts.salt ?? new Uint8Array(0);
  if (salt.length > MAX_SALT_SIZE) {
    throw new CfsError(`${salt.length} bytes is too long (at most ${MAX_SALT_SIZE})`, { field: 'salt', code: 'EARG' });
  }
  let saltBlock: Uint8Array | null = null;
  if (salt.length > 0) {
    saltBlock = new Uint8Array(hashBlock);
    saltBlock.set(salt);
  }
  return { hashAlg, alg: id, digestSize, blockSize, arity: blockSize / digestSize, salt: salt.slice(), saltBlock };
}
