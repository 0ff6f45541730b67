/** The fsverity_descriptor and the final digest (composefs-image.md §1.4, §1.5). */
import { shaDigest } from '../wasm/sha.js';
import type { HashAlg, VerityParams } from './params.js';

export interface FsverityDigest {
  algorithm: HashAlg;
  bytes: Uint8Array;
  hex: string;
  /** "sha256:HEX" / "sha512:HEX" */
  text: string;
}

export const DESCRIPTOR_SIZE = 256;
const VERSION = 1;
const OFF_DATA_SIZE = 8;
const OFF_ROOT_HASH = 16;
const OFF_SALT = 80;

/** The 256-byte descriptor for a file of dataSize bytes with the given Merkle root hash. */
export function descriptor(p: VerityParams, dataSize: number, rootHash: Uint8Array): Uint8Array {
  const d = new Uint8Array(DESCRIPTOR_SIZE);
  writeDescriptor(p, dataSize, rootHash, d, 0);
  return d;
}

/** Writes the descriptor at `offset` of `out` (whose bytes there are zero): many files' descriptors share one buffer. */
export function writeDescriptor(p: VerityParams, dataSize: number, rootHash: Uint8Array, out: Uint8Array, offset: number): void {
  out[offset] = VERSION;
  out[offset + 1] = p.alg;
  out[offset + 2] = Math.log2(p.blockSize);
  out[offset + 3] = p.salt.length;
  // the u64 little-endian size, without a BigInt per file (sizes are below 2^53)
  const dv = new DataView(out.buffer, out.byteOffset + offset + OFF_DATA_SIZE, 8);
  dv.setUint32(0, dataSize % 2 ** 32, true);
  dv.setUint32(4, Math.floor(dataSize / 2 ** 32), true);
  out.set(rootHash, offset + OFF_ROOT_HASH);
  out.set(p.salt, offset + OFF_SALT);
}

/** The fs-verity digest: the (unsalted) hash of the descriptor. */
export function finalDigest(p: VerityParams, dataSize: number, rootHash: Uint8Array): FsverityDigest {
  return digestResult(p.hashAlg, shaDigest(p.alg, descriptor(p, dataSize, rootHash)));
}

/** The result object for the digest bytes (a descriptor's hash). */
export function digestResult(algorithm: HashAlg, bytes: Uint8Array): FsverityDigest {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  return { algorithm, bytes, hex, text: `${algorithm}:${hex}` };
}
