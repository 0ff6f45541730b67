// Plain SHA-256 / SHA-512 of a message fed in whole blocks, then a tail (FIPS 180-4 §5.1 padding),
// and the per-algorithm dispatch the fs-verity block hashing uses.
// `alg` is the fs-verity hash algorithm id (composefs-image.md §1.4): SHA256_ID, else SHA-512 (src/wasm/abi.ts).
import {
  sha256Blocks, sha256Init, sha256LoadState, sha256Output, sha256PadBlock, sha256SaveState, sha256SetPadding,
} from './sha256';
import {
  sha512Blocks, sha512Init, sha512LoadState, sha512Output, sha512PadBlock, sha512SaveState, sha512SetPadding,
} from './sha512';
import { SHA256_ID } from './contract/abi';

const TAIL = memory.data(256, 16);

/** The hash's block size: 64 bytes for SHA-256, 128 for SHA-512. */
export function shaBlockLen(alg: u32): u32 {
  return alg == SHA256_ID ? 64 : 128;
}

export function shaInit(alg: u32): void {
  if (alg == SHA256_ID) sha256Init();
  else sha512Init();
}

/** Compresses n whole blocks at p. */
export function shaBlocks(alg: u32, p: usize, n: u32): void {
  if (alg == SHA256_ID) sha256Blocks(p, n);
  else sha512Blocks(p, n);
}

/** Writes the big-endian digest (32 or 64 bytes) at out. */
export function shaOutput(alg: u32, out: usize): void {
  if (alg == SHA256_ID) sha256Output(out);
  else sha512Output(out);
}

/** Copies the state to / from p (to start many messages from one salted state). */
export function shaSaveState(alg: u32, p: usize): void {
  if (alg == SHA256_ID) sha256SaveState(p);
  else sha512SaveState(p);
}
export function shaLoadState(alg: u32, p: usize): void {
  if (alg == SHA256_ID) sha256LoadState(p);
  else sha512LoadState(p);
}

/** Precomputes the padding block ending messages of msgLen bytes (a multiple of the block size); shaPadBlock compresses it. */
export function shaSetPadding(alg: u32, msgLen: u64): void {
  if (alg == SHA256_ID) sha256SetPadding(msgLen);
  else sha512SetPadding(msgLen);
}
export function shaPadBlock(alg: u32): void {
  if (alg == SHA256_ID) sha256PadBlock();
  else sha512PadBlock();
}

/** Pads the last tailLen (< one block) bytes at p of a totalLen-byte message, compresses, writes the digest at out. */
export function shaFinal(alg: u32, p: usize, tailLen: u32, totalLen: f64, out: usize): void {
  const blockLen = shaBlockLen(alg);
  const lenField: u32 = alg == SHA256_ID ? 8 : 16;
  const padded: u32 = tailLen + 1 + lenField <= blockLen ? blockLen : 2 * blockLen;
  memory.copy(TAIL, p, tailLen);
  memory.fill(TAIL + tailLen, 0, padded - tailLen);
  store<u8>(TAIL + tailLen, 0x80);
  store<u64>(TAIL + padded - 8, bswap<u64>(<u64>totalLen << 3));
  shaBlocks(alg, TAIL, padded / blockLen);
  shaOutput(alg, out);
}
