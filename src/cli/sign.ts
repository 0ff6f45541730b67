/**
 * `cfskit sign --repo=R [--sign-type=ed25519] [--keys-file=F] COMMIT [SECRET-KEY...]` adds ed25519
 * signatures to the commit's detached metadata; `--verify` checks them against PUBKEY... and the
 * keys file, as `ostree sign` does (src/sign/).
 */
import { CfsError } from '../errors.js';
import { readCommit } from '../ostree/commit.js';
import { readMetadata } from '../ostree/objects.js';
import { autoUpdateSummary } from '../ostree/summary.js';
import { withRepoLock } from '../ostree/lock.js';
import { signCommit, verifyCommitSignature } from '../sign/commit.js';
import { readDetached } from '../sign/commitmeta.js';
import { parseSecretKey, readKeysFile, SIGN_TYPE } from '../sign/ed25519.js';
import type { VerbSpec } from './args.js';
import { parseCommand, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'sign',
  synopsis: ['--repo=PATH [--sign-type=ed25519] [--keys-file=FILE] COMMIT [SECRET-KEY...]', '--verify --repo=PATH [--sign-type=ed25519] [--keys-file=FILE] COMMIT [PUBLIC-KEY...]'],
  description: `Add ed25519 signatures to COMMIT's detached metadata, or with --verify check them, as ostree
sign does. Keys are base64: a secret key is 64 bytes (seed and public key), a public key 32 bytes.`,
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    'sign-type': { type: 'string', short: 's', value: 'TYPE', help: 'the signature type: ed25519 (the only one; default ed25519)' },
    'keys-file': { type: 'string', value: 'FILE', help: 'more keys, one base64 key a line' },
    verify: { type: 'boolean', help: 'check the signatures against the PUBLIC-KEYs and the keys file instead' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const type = (p.values['sign-type'] as string | undefined) ?? SIGN_TYPE;
  if (type !== SIGN_TYPE) throw new CfsError(`Requested signature type is not implemented: '${type}' (cfskit signs ed25519)`, { field: 'sign-type', code: 'EUSAGE' });
  const [rev, ...given] = p.positionals;
  if (!rev) throw new CfsError('COMMIT is required', { code: 'EUSAGE' });
  const repo = repoOption(p);
  const keysFile = p.values['keys-file'] as string | undefined;
  const keys = [...given, ...(keysFile ? readKeysFile(keysFile) : [])];
  const { checksum } = readCommit(repo, rev);
  if (p.values.verify) {
    const key = verifyCommitSignature(readMetadata(repo, 'commit', checksum, true), checksum, readDetached(repo, checksum), keys);
    process.stdout.write(`ed25519: Signature verified successfully with key '${key}'\n`);
    return 0;
  }
  if (keys.length === 0) throw new CfsError('give at least one SECRET-KEY or --keys-file', { code: 'EUSAGE' });
  const secret = keys.map(parseSecretKey);
  await withRepoLock(repo, () => {
    signCommit(repo, checksum, secret);
    autoUpdateSummary(repo);
  });
  return 0;
}
