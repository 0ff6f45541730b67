// fs-verity Merkle-tree block hashing (composefs-image.md §1.2, §1.3): each block is hashed as
// H(padded_salt || block). Leaf and tree blocks alike go through here; the tree bookkeeping lives
// in TypeScript (src/fsverity/tree.ts for one file, src/wasm/batch.ts for many small files).
import {
  shaBlockLen, shaBlocks, shaInit, shaLoadState, shaOutput, shaPadBlock, shaSaveState, shaSetPadding,
} from './sha';
import { SHA256_ID } from './contract/abi';
import { sha256x4Blocks, sha256x4LoadState, sha256x4Output, sha256x4PadBlock } from './sha256';

/** The hash state after the salt block (or H(0) without salt): every message's hash starts from it. */
const SALTED = memory.data(64, 16);
/** The four lanes' digests before they are scattered to their destinations. */
const LANES = memory.data(4 * 32, 16);
let simd = true;

/** Turns the 4-lane SHA-256 path on or off (off only to measure the scalar path). */
export function fsveritySetSimd(on: bool): void {
  simd = on;
}

/**
 * Sets the starting state and the padding for messages of `size` bytes (a multiple of the hash
 * block) after the optional salt block; returns the hash blocks per message.
 */
function begin(alg: u32, size: u32, salt: usize): u32 {
  const hashBlock = shaBlockLen(alg);
  shaInit(alg);
  if (salt) shaBlocks(alg, salt, 1);
  shaSaveState(alg, SALTED);
  shaSetPadding(alg, <u64>size + (salt ? hashBlock : 0));
  return size / hashBlock;
}

/** One message of n hash blocks at p, its digest at out (scalar). */
@inline function hashOne(alg: u32, p: usize, n: u32, out: usize): void {
  shaLoadState(alg, SALTED);
  shaBlocks(alg, p, n);
  shaPadBlock(alg);
  shaOutput(alg, out);
}

/** Four SHA-256 messages of n blocks at once; the digests are left in LANES. */
@inline function hashFour(p0: usize, p1: usize, p2: usize, p3: usize, n: u32): void {
  sha256x4LoadState(SALTED);
  sha256x4Blocks(p0, p1, p2, p3, n);
  sha256x4PadBlock();
  sha256x4Output(LANES, 4);
}

/**
 * Hashes `count` blocks of blockSize bytes (a power of two ≥ 2 × digest size) at p, writing the
 * count digests back to back at out. salt: address of the salt zero-padded to one hash block
 * (64 bytes for SHA-256, 128 for SHA-512), or 0 for no salt.
 * SHA-256 goes four blocks per pass (a short last group repeats its last block in the spare
 * lanes); a single last block takes the scalar path.
 */
export function fsverityHashBlocks(alg: u32, p: usize, blockSize: u32, count: u32, salt: usize, out: usize): void {
  const n = begin(alg, blockSize, salt);
  const bs = <usize>blockSize;
  const digestShift: usize = alg == SHA256_ID ? 5 : 6;
  let i: u32 = 0;
  if (alg == SHA256_ID && simd) {
    for (; i + 1 < count; i += 4) {
      const p0 = p + <usize>i * bs;
      const p1 = p0 + bs;
      const p2 = i + 2 < count ? p1 + bs : p1;
      const p3 = i + 3 < count ? p2 + bs : p2;
      hashFour(p0, p1, p2, p3, n);
      memory.copy(out + (<usize>i << 5), LANES, <usize>min<u32>(4, count - i) << 5);
    }
    i = min<u32>(i, count);
  }
  for (; i < count; i++) hashOne(alg, p + <usize>i * bs, n, out + (<usize>i << digestShift));
}

/**
 * Hashes `count` messages of `size` bytes each (a multiple of the hash block), wherever they lie:
 * `table` holds count pairs of u32 addresses (message, where its digest goes). The messages may
 * come from different files, so SHA-256 fills all four lanes whatever the files' sizes.
 * salt as for fsverityHashBlocks (0: plain SHA, e.g. for fs-verity descriptors).
 */
export function fsverityHashMany(alg: u32, table: usize, count: u32, size: u32, salt: usize): void {
  const n = begin(alg, size, salt);
  let i: u32 = 0;
  if (alg == SHA256_ID && simd) {
    for (; i + 1 < count; i += 4) {
      const e = table + (<usize>i << 3);
      const left = count - i;
      const p0 = <usize>load<u32>(e);
      const p1 = <usize>load<u32>(e, 8);
      const p2 = left > 2 ? <usize>load<u32>(e, 16) : p1;
      const p3 = left > 3 ? <usize>load<u32>(e, 24) : p2;
      hashFour(p0, p1, p2, p3, n);
      const lanes = min<u32>(4, left);
      for (let j: u32 = 0; j < lanes; j++) memory.copy(<usize>load<u32>(e + (<usize>j << 3), 4), LANES + (<usize>j << 5), 32);
    }
    i = min<u32>(i, count);
  }
  for (; i < count; i++) {
    const e = table + (<usize>i << 3);
    hashOne(alg, <usize>load<u32>(e), n, <usize>load<u32>(e, 4));
  }
}
