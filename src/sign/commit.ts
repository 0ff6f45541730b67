/**
 * Signing a stored commit and checking its signatures: what `cfskit sign`, `cfskit commit --sign`
 * and pull's sign-verify use.
 */
import { CfsError } from '../errors.js';
import { readMetadata } from '../ostree/objects.js';
import type { Repo } from '../ostree/repo.js';
import { readDetached, signaturesOf, withSignatures, writeDetached } from './commitmeta.js';
import { signData, verifyData, type SecretKey } from './ed25519.js';
import type { VarDict } from '../formats/gvariant.js';

/** Adds one signature per secret key to the commit's detached metadata. */
export function signCommit(repo: Repo, checksum: string, keys: SecretKey[]): void {
  const data = readMetadata(repo, 'commit', checksum, true);
  writeDetached(repo, checksum, withSignatures(readDetached(repo, checksum) ?? [], keys.map((k) => signData(data, k))));
}

/**
 * The public key (base64) that verifies a signature of `commit` in `detached`; else a CfsError
 * naming the commit: no signatures, or none by these keys.
 */
export function verifyCommitSignature(commit: Uint8Array, checksum: string, detached: VarDict | undefined, publicKeys: string[]): string {
  if (publicKeys.length === 0) throw new CfsError(`no ed25519 public key to verify commit ${checksum} with`, { field: 'verification-ed25519-key', code: 'ESIGN' });
  const sigs = signaturesOf(detached);
  if (sigs.length === 0) throw new CfsError(`commit ${checksum} has no ed25519 signature`, { field: 'ostree.sign.ed25519', code: 'ESIGN' });
  const key = verifyData(commit, sigs, publicKeys);
  if (!key) throw new CfsError(`ed25519: no signature of commit ${checksum} verifies with the ${publicKeys.length} trusted key(s)`, { field: 'ostree.sign.ed25519', code: 'ESIGN' });
  return key;
}
