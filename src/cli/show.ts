/**
 * `cfskit show --repo R REV [--print-metadata-key=K]`: one commit as `ostree show` prints it, or a
 * metadata value in GVariant text after ostree's byte swap (spec ostree.md §2.13).
 */
import { CfsError } from '../errors.js';
import { readCommit } from '../ostree/commit.js';
import { formatCommit } from '../ostree/dump.js';
import { lookup } from '../ostree/gvariant.js';
import { printVariant } from '../ostree/gvariant-text.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

const USAGE = 'Usage: cfskit show --repo=PATH [--print-metadata-key=KEY] REV\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' }, 'print-metadata-key': { type: 'string' } }, USAGE);
  if (!p) return 0;
  const [rev] = positionals(p, 1, USAGE);
  const { checksum, commit } = readCommit(repoOption(p, USAGE), rev);
  const key = p.values['print-metadata-key'];
  if (typeof key === 'string') {
    const value = lookup(commit.metadata, key);
    if (!value) throw new CfsError(`No such metadata key '${key}'`, { field: 'print-metadata-key', code: 'ENOKEY' });
    // Values are stored big-endian and decoded as such, which is what ostree's byte swap shows.
    process.stdout.write(`${printVariant(value.type, value.value)}\n`);
    return 0;
  }
  process.stdout.write(formatCommit(checksum, commit));
  return 0;
}
