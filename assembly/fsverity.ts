// fs-verity Merkle-tree block hashing (spec §1.2, §1.3): each block is hashed as
// H(padded_salt || block). Leaf and tree blocks alike go through fsverityHashBlocks; the tree
// bookkeeping lives in TypeScript (src/fsverity/tree.ts).
import { SHA256 } from './sha';
import {
  sha256Blocks, sha256Init, sha256LoadState, sha256Output, sha256PadBlock, sha256SaveState, sha256SetPadding,
  sha256x4Blocks, sha256x4LoadState, sha256x4Output, sha256x4PadBlock,
} from './sha256';
import {
  sha512Blocks, sha512Init, sha512LoadState, sha512Output, sha512PadBlock, sha512SaveState, sha512SetPadding,
} from './sha512';

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
  if (alg == SHA256) hash256(p, blockSize, count, salt, out);
  else hash512(p, blockSize, count, salt, out);
}

function hash256(p: usize, blockSize: u32, count: u32, salt: usize, out: usize): void {
  sha256Init();
  if (salt) sha256Blocks(salt, 1);
  sha256SaveState(SALTED);
  sha256SetPadding(<u64>blockSize + (salt ? 64 : 0));
  const n = blockSize >> 6;
  const bs = <usize>blockSize;
  let i: u32 = 0;
  if (simd) {
    // four blocks per pass; a short last group repeats its last block in the spare lanes
    for (; i + 1 < count; i += 4) {
      const p0 = p + <usize>i * bs;
      const p1 = p0 + bs;
      const p2 = i + 2 < count ? p1 + bs : p1;
      const p3 = i + 3 < count ? p2 + bs : p2;
      sha256x4LoadState(SALTED);
      sha256x4Blocks(p0, p1, p2, p3, n);
      sha256x4PadBlock();
      sha256x4Output(out + (<usize>i << 5), min<u32>(4, count - i));
    }
  }
  for (; i < count; i++) {
    sha256LoadState(SALTED);
    sha256Blocks(p + <usize>i * bs, n);
    sha256PadBlock();
    sha256Output(out + (<usize>i << 5));
  }
}

function hash512(p: usize, blockSize: u32, count: u32, salt: usize, out: usize): void {
  sha512Init();
  if (salt) sha512Blocks(salt, 1);
  sha512SaveState(SALTED);
  sha512SetPadding(<u64>blockSize + (salt ? 128 : 0));
  const n = blockSize >> 7;
  for (let i: u32 = 0; i < count; i++) {
    sha512LoadState(SALTED);
    sha512Blocks(p + <usize>i * <usize>blockSize, n);
    sha512PadBlock();
    sha512Output(out + (<usize>i << 6));
  }
}
