// fs-verity Merkle-tree block hashing (spec §1.2, §1.3): each block is hashed as
// H(padded_salt || block). Leaf and tree blocks alike go through fsverityHashBlocks; the tree
// bookkeeping lives in TypeScript (src/fsverity/tree.ts).
import {
  SHA256, shaBlockLen, shaBlocks, shaInit, shaLoadState, shaOutput, shaPadBlock, shaSaveState, shaSetPadding,
} from './sha';
import { sha256x4Blocks, sha256x4LoadState, sha256x4Output, sha256x4PadBlock } from './sha256';

/** The hash state after the salt block: every block's hash starts from it. */
const SALTED = memory.data(64, 16);
let simd = true;

/** Turns the 4-lane SHA-256 path on or off (off only to measure the scalar path). */
export function fsveritySetSimd(on: bool): void {
  simd = on;
}

/**
 * Hashes `count` blocks of blockSize bytes (a power of two ≥ 2 × digest size) at p, writing the
 * count digests back to back at out. salt: address of the salt zero-padded to one hash block
 * (64 bytes for SHA-256, 128 for SHA-512), or 0 for no salt.
 */
export function fsverityHashBlocks(alg: u32, p: usize, blockSize: u32, count: u32, salt: usize, out: usize): void {
  const hashBlock = shaBlockLen(alg);
  shaInit(alg);
  if (salt) shaBlocks(alg, salt, 1);
  shaSaveState(alg, SALTED);
  shaSetPadding(alg, <u64>blockSize + (salt ? hashBlock : 0));
  const n = blockSize / hashBlock;
  const digestShift: usize = alg == SHA256 ? 5 : 6;
  let i: u32 = alg == SHA256 && simd ? hash256x4(p, blockSize, count, out) : 0;
  for (; i < count; i++) {
    shaLoadState(alg, SALTED);
    shaBlocks(alg, p + <usize>i * <usize>blockSize, n);
    shaPadBlock(alg);
    shaOutput(alg, out + (<usize>i << digestShift));
  }
}

/**
 * SHA-256 of four blocks per pass (a short last group repeats its last block in the spare lanes);
 * leaves a single last block to the scalar path. Returns the number of blocks hashed.
 */
function hash256x4(p: usize, blockSize: u32, count: u32, out: usize): u32 {
  const bs = <usize>blockSize;
  let i: u32 = 0;
  for (; i + 1 < count; i += 4) {
    const p0 = p + <usize>i * bs;
    const p1 = p0 + bs;
    const p2 = i + 2 < count ? p1 + bs : p1;
    const p3 = i + 3 < count ? p2 + bs : p2;
    sha256x4LoadState(SALTED);
    sha256x4Blocks(p0, p1, p2, p3, blockSize >> 6);
    sha256x4PadBlock();
    sha256x4Output(out + (<usize>i << 5), min<u32>(4, count - i));
  }
  return min<u32>(i, count);
}
