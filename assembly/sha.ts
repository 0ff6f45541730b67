// Plain SHA-256 / SHA-512 of a message fed in whole blocks, then a tail (FIPS 180-4 §5.1 padding).
// `alg` is the fs-verity hash algorithm id (spec §1.4): 1 = SHA-256, 2 = SHA-512.
import { sha256Blocks, sha256Init, sha256Output } from './sha256';
import { sha512Blocks, sha512Init, sha512Output } from './sha512';

export const SHA256: u32 = 1;
export const SHA512: u32 = 2;

const TAIL = memory.data(256, 16);

export function shaInit(alg: u32): void {
  if (alg == SHA256) sha256Init();
  else sha512Init();
}

/** Compresses n whole blocks (64 bytes for SHA-256, 128 for SHA-512) at p. */
export function shaBlocks(alg: u32, p: usize, n: u32): void {
  if (alg == SHA256) sha256Blocks(p, n);
  else sha512Blocks(p, n);
}

/** Pads the last tailLen (< one block) bytes at p of a totalLen-byte message, compresses, writes the digest at out. */
export function shaFinal(alg: u32, p: usize, tailLen: u32, totalLen: f64, out: usize): void {
  const blockLen: u32 = alg == SHA256 ? 64 : 128;
  const lenField: u32 = alg == SHA256 ? 8 : 16;
  const padded: u32 = tailLen + 1 + lenField <= blockLen ? blockLen : 2 * blockLen;
  memory.copy(TAIL, p, tailLen);
  memory.fill(TAIL + tailLen, 0, padded - tailLen);
  store<u8>(TAIL + tailLen, 0x80);
  store<u64>(TAIL + padded - 8, bswap<u64>(<u64>totalLen << 3));
  shaBlocks(alg, TAIL, padded / blockLen);
  if (alg == SHA256) sha256Output(out);
  else sha512Output(out);
}
