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
  const dv = new DataView(d.buffer);
  d[0] = VERSION;
  d[1] = p.alg;
  d[2] = Math.log2(p.blockSize);
  d[3] = p.salt.length;
  dv.setBigUint64(OFF_DATA_SIZE, BigInt(dataSize), true);
  d.set(rootHash, OFF_ROOT_HASH);
  d.set(p.salt, OFF_SALT);
  return d;
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
