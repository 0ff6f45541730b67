/**
 * SHA-2 and fs-verity block hashing: node:crypto's one-shot hash where Node has it (OpenSSL, with
 * the CPU's SHA instructions where there are some), else the Wasm core (assembly/sha.ts,
 * assembly/fsverity.ts). Measured on the project machine (AMD EPYC with SHA-NI, CPU time):
 * per 4 KiB block 680–690 MB/s against 360–410 MB/s for the Wasm 4-lane SHA-256, whole
 * messages 635–775 MB/s against 110–120 MB/s, a 200-byte message 2.5 µs against 5 µs
 * (`createHash` per block or a copied Hash: 410–475 MB/s, no better than Wasm). Salted blocks
 * stay on Wasm (node:crypto has no one-shot from a saved state).
 * For Wasm, data already in Wasm memory (an IoBuffer view) is hashed where it lies; other data
 * is copied through the scratch buffer in pieces.
 */
import * as crypto from 'node:crypto';
import { buffers, copyIn, IO_SIZE, view } from './buffers.js';
import { inWasmMemory, wasm } from './instance.js';
import { SHA256_ID, SHA512_ID } from './abi.js';

interface ShaExports {
  shaInit(alg: number): void;
  shaBlocks(alg: number, ptr: number, n: number): void;
  shaFinal(alg: number, ptr: number, tailLen: number, totalLen: number, out: number): void;
  fsverityHashBlocks(alg: number, ptr: number, blockSize: number, count: number, salt: number, out: number): void;
  fsveritySetSimd(on: number): void;
}

const core = () => wasm<ShaExports>();

/** `crypto.hash` (Node ≥ 20.12); absent on older Node, where the Wasm core hashes everything. */
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : null;
let native = oneShot !== null;

/** One-shot SHA-256/512 by node:crypto, or null when the Wasm core hashes. */
export function nativeSha(alg: HashAlgId): ((data: Uint8Array) => Uint8Array) | null {
  if (!native || !oneShot) return null;
  const name = alg === SHA256_ID ? 'sha256' : 'sha512';
  return (data) => oneShot(name, data, 'buffer');
}

/** Turns hashing by node:crypto off or on (tests and the benchmark measure the Wasm core with it). */
export function setNative(on: boolean): void {
  native = on && oneShot !== null;
}

export { SHA256_ID, SHA512_ID };
export type HashAlgId = typeof SHA256_ID | typeof SHA512_ID;

export const digestSizeOf = (alg: HashAlgId) => (alg === SHA256_ID ? 32 : 64);
const hashBlockOf = (alg: HashAlgId) => (alg === SHA256_ID ? 64 : 128);

/** Calls fn(ptr, length) for data in pieces of at most `piece` bytes that lie in Wasm memory. */
function eachPiece(data: Uint8Array, piece: number, fn: (ptr: number, length: number) => void): void {
  const inPlace = inWasmMemory(data);
  const { scratch } = buffers();
  for (let off = 0; off < data.length; off += piece) {
    const part = data.subarray(off, Math.min(off + piece, data.length));
    if (inPlace) {
      fn(part.byteOffset, part.length);
    } else {
      copyIn(scratch.ptr, part);
      fn(scratch.ptr, part.length);
    }
  }
}

/** Plain SHA-256 or SHA-512 of data. */
export function shaDigest(alg: HashAlgId, data: Uint8Array): Uint8Array {
  const sha = nativeSha(alg);
  if (sha) return sha(data);
  const c = core();
  const hb = hashBlockOf(alg);
  const whole = data.length - (data.length % hb);
  c.shaInit(alg);
  eachPiece(data.subarray(0, whole), IO_SIZE, (ptr, length) => c.shaBlocks(alg, ptr, length / hb));
  const { small, scratch } = buffers();
  copyIn(scratch.ptr, data.subarray(whole));
  c.shaFinal(alg, scratch.ptr, data.length - whole, data.length, small.ptr);
  return view(small.ptr, digestSizeOf(alg)).slice();
}

export const sha256 = (data: Uint8Array): Uint8Array => shaDigest(SHA256_ID, data);
export const sha512 = (data: Uint8Array): Uint8Array => shaDigest(SHA512_ID, data);

/** How fs-verity hashes each Merkle block (composefs-image.md §1.2, §1.3). */
export interface BlockHashing {
  alg: HashAlgId;
  /** A power of two, 2 × digest size .. IO_SIZE. */
  blockSize: number;
  /** The salt zero-padded to one hash block, or null. */
  saltBlock: Uint8Array | null;
}

/** Hashes whole blocks (blocks.length is a multiple of blockSize), writing one digest per block into out at outOffset. */
export function hashBlocks(h: BlockHashing, blocks: Uint8Array, out: Uint8Array, outOffset = 0): void {
  const d = digestSizeOf(h.alg);
  const sha = h.saltBlock ? null : nativeSha(h.alg);
  if (sha) {
    for (let off = 0; off < blocks.length; off += h.blockSize, outOffset += d) out.set(sha(blocks.subarray(off, off + h.blockSize)), outOffset);
    return;
  }
  const c = core();
  const { out: results, small } = buffers();
  let salt = 0;
  if (h.saltBlock) {
    copyIn(small.ptr, h.saltBlock);
    salt = small.ptr;
  }
  const piece = Math.min(IO_SIZE, (results.size / d) * h.blockSize);
  eachPiece(blocks, piece, (ptr, length) => {
    const count = length / h.blockSize;
    c.fsverityHashBlocks(h.alg, ptr, h.blockSize, count, salt, results.ptr);
    out.set(view(results.ptr, count * d), outOffset);
    outOffset += count * d;
  });
}

/** Turns the 4-lane SIMD SHA-256 path off or on (the benchmark measures the scalar path with it). */
export function setSimd(on: boolean): void {
  core().fsveritySetSimd(on ? 1 : 0);
}
