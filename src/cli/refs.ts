/**
 * `cfskit refs --repo R`: one ref per line, remote refs as REMOTE:NAME (spec ostree.md §2.10).
 * `--delete REF...` removes refs; `--create=NEW REV` points a new ref at an existing commit,
 * as `ostree refs` does.
 */
import { CfsError } from '../errors.js';
import { readCommit } from '../ostree/commit.js';
import { deleteRef, listRefs, readRef, writeRef } from '../ostree/refs.js';
import type { VerbSpec } from './args.js';
import { jsonText } from './commit-json.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'refs',
  synopsis: ['--repo=PATH', '--repo=PATH --delete REF...', '--repo=PATH --create=NEW REV'],
  description: 'List the refs of a repository (remote refs as REMOTE:NAME), delete refs, or create one.',
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    delete: { type: 'boolean', help: 'delete the refs given as arguments' },
    create: { type: 'string', value: 'NEW', help: 'create ref NEW pointing at the commit REV' },
    json: { type: 'boolean', help: 'print the refs as an object of ref name to commit checksum as JSON' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const repo = repoOption(p);
  if (p.values.delete) {
    if (p.positionals.length === 0) throw new CfsError('--delete needs at least one ref', { code: 'EUSAGE' });
    for (const ref of p.positionals) {
      if (!deleteRef(repo, ref)) throw new CfsError(`refspec '${ref}' not found`, { field: 'ref', code: 'EREF' });
    }
    return 0;
  }
  if (typeof p.values.create === 'string') {
    const [rev] = positionals(p, 1);
    if (readRef(repo, p.values.create)) throw new CfsError(`ref '${p.values.create}' already exists`, { field: 'ref', code: 'EREF' });
    writeRef(repo, p.values.create, readCommit(repo, rev).checksum);
    return 0;
  }
  positionals(p, 0);
  const refs = listRefs(repo);
  process.stdout.write(p.values.json ? jsonText(Object.fromEntries(refs)) : [...refs.keys()].map((r) => `${r}\n`).join(''));
  return 0;
}
