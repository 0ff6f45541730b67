/**
 * ostree's ed25519 signatures with node:crypto. Keys are base64: a secret key is 64 bytes (the
 * 32-byte seed followed by the 32-byte public key, libsodium's layout), a public key 32 bytes.
 * A signature is 64 bytes over the commit object's bytes; the commit's detached metadata holds
 * them under `ostree.sign.ed25519` as `aay` (commitmeta.ts).
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CfsError } from '../errors.js';

export const SIGN_TYPE = 'ed25519';
/** Detached metadata key of the signatures. */
export const SIGNATURES_KEY = 'ostree.sign.ed25519';
export const SIGNATURE_BYTES = 64;
/** DER headers of an Ed25519 PKCS#8 private key and SPKI public key (RFC 8410), before the 32 key bytes. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** A keys file longer than this is refused. */
const KEYS_FILE_MAX = 1 << 20;

export interface SecretKey {
  key: KeyObject;
  /** The public half, base64 (what verifiers list). */
  publicBase64: string;
}

function base64(text: string, bytes: number, what: string, field: string): Buffer {
  const t = text.trim();
  const b = Buffer.from(t, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || b.length !== bytes) throw new CfsError(`${what} must be ${bytes} bytes of base64`, { field, code: 'ESIGN' });
  return b;
}

/** A 64-byte base64 secret key; its second half must be the seed's public key. */
export function parseSecretKey(text: string): SecretKey {
  const raw = base64(text, 64, 'an ed25519 secret key', 'secret key');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  if (!pub.equals(raw.subarray(32))) throw new CfsError('the secret key\'s public half does not match its seed', { field: 'secret key', code: 'ESIGN' });
  return { key, publicBase64: pub.toString('base64') };
}

export function parsePublicKey(text: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, base64(text, 32, 'an ed25519 public key', 'public key')]), format: 'der', type: 'spki' });
}

export function signData(data: Uint8Array, secret: SecretKey): Uint8Array {
  return new Uint8Array(sign(null, data, secret.key));
}

/** The base64 public key that verifies one of `signatures` over `data`, or undefined. */
export function verifyData(data: Uint8Array, signatures: Uint8Array[], publicKeys: string[]): string | undefined {
  for (const pk of publicKeys) {
    const key = parsePublicKey(pk);
    for (const sig of signatures) if (sig.length === SIGNATURE_BYTES && verify(null, data, key, sig)) return pk.trim();
  }
  return undefined;
}

/** Base64 keys of a keys file: one per line; blank lines and `#` comments skipped. */
export function readKeysFile(path: string): string[] {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > KEYS_FILE_MAX) throw new CfsError(`keys file larger than ${KEYS_FILE_MAX} bytes`, { file: path, code: 'ESIGN' });
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof CfsError) throw e;
    throw new CfsError(`cannot read keys file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path, code: 'ESIGN' });
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
