/**
 * `cfskit show --repo R REV [--print-metadata-key=K]`: one commit as `ostree show` prints it, or a
 * metadata value in GVariant text after ostree's byte swap (spec ostree.md §2.13).
 */
import { CfsError } from '../errors.js';
import { readCommit } from '../ostree/commit.js';
import { formatCommit } from '../ostree/dump.js';
import { lookup } from '../formats/gvariant.js';
import { printVariant } from '../formats/gvariant-text.js';
import type { VerbSpec } from './args.js';
import { commitJson, jsonText } from './commit-json.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'show',
  synopsis: ['--repo=PATH [--print-metadata-key=KEY] REV'],
  description: 'Show the commit REV (a ref or checksum) as ostree show does.',
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    'print-metadata-key': { type: 'string', value: 'KEY', help: 'print only this metadata value, in GVariant text' },
    json: { type: 'boolean', help: 'print the commit (checksum, parent, timestamp, subject, body, metadata in\nGVariant text); with --print-metadata-key, the value as a JSON string as JSON' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [rev] = positionals(p, 1);
  const { checksum, commit } = readCommit(repoOption(p), rev);
  const key = p.values['print-metadata-key'];
  if (typeof key === 'string') {
    const value = lookup(commit.metadata, key);
    if (!value) throw new CfsError(`No such metadata key '${key}'`, { field: 'print-metadata-key', code: 'ENOKEY' });
    // Values are stored big-endian and decoded as such, which is what ostree's byte swap shows.
    const text = printVariant(value.type, value.value);
    process.stdout.write(p.values.json ? jsonText(text) : `${text}\n`);
    return 0;
  }
  process.stdout.write(p.values.json ? jsonText(commitJson(checksum, commit)) : formatCommit(checksum, commit));
  return 0;
}
