/**
 * `cfskit refs --repo R`: one ref per line, remote refs as REMOTE:NAME (spec ostree.md §2.10).
 * `--delete REF...` removes refs; `--create=NEW REV` points a new ref at an existing commit,
 * as `ostree refs` does.
 */
import { CfsError } from '../errors.js';
import { readCommit } from '../ostree/commit.js';
import { deleteRef, listRefs, readRef, writeRef } from '../ostree/refs.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

const USAGE = 'Usage: cfskit refs --repo=PATH [--delete REF... | --create=NEW REV]\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' }, delete: { type: 'boolean' }, create: { type: 'string' } }, USAGE);
  if (!p) return 0;
  const repo = repoOption(p, USAGE);
  if (p.values.delete) {
    if (p.positionals.length === 0) throw new CfsError(`--delete needs at least one ref\n${USAGE}`, { code: 'EUSAGE' });
    for (const ref of p.positionals) {
      if (!deleteRef(repo, ref)) throw new CfsError(`refspec '${ref}' not found`, { field: 'ref', code: 'EREF' });
    }
    return 0;
  }
  if (typeof p.values.create === 'string') {
    const [rev] = positionals(p, 1, USAGE);
    if (readRef(repo, p.values.create)) throw new CfsError(`ref '${p.values.create}' already exists`, { field: 'ref', code: 'EREF' });
    writeRef(repo, p.values.create, readCommit(repo, rev).checksum);
    return 0;
  }
  positionals(p, 0, USAGE);
  process.stdout.write([...listRefs(repo).keys()].map((r) => `${r}\n`).join(''));
  return 0;
}
