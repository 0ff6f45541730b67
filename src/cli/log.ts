/** `cfskit log --repo R REV`: the commit and its parents, as `ostree log` prints them (spec ostree.md §2.13). */
import { CfsError } from '../errors.js';
import { readCommit, resolveRev } from '../ostree/commit.js';
import { formatCommit } from '../ostree/dump.js';
import type { VerbSpec } from './args.js';
import { type CommitJson, commitJson, jsonText } from './commit-json.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'log',
  synopsis: ['--repo=PATH REV'],
  description: 'Show the commit REV (a ref or checksum) and its parents, as ostree log does.',
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    json: { type: 'boolean', help: 'print an array of commits (checksum, parent, timestamp, subject, body,\nmetadata in GVariant text) as JSON' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [rev] = positionals(p, 1);
  const repo = repoOption(p);
  let checksum: string | null = resolveRev(repo, rev);
  const seen = new Set<string>();
  const json: CommitJson[] = [];
  while (checksum && !seen.has(checksum)) {
    seen.add(checksum);
    let commit;
    try {
      commit = readCommit(repo, checksum).commit;
    } catch (e) {
      // A missing parent ends the history quietly, like ostree (ostree.md §2.13).
      if (e instanceof CfsError && e.code === 'ENOENT' && seen.size > 1) {
        if (!p.values.json) process.stdout.write('<< History beyond this commit not fetched >>\n');
        break;
      }
      throw e;
    }
    if (p.values.json) json.push(commitJson(checksum, commit));
    else process.stdout.write(formatCommit(checksum, commit));
    checksum = commit.parent;
  }
  if (p.values.json) process.stdout.write(jsonText(json));
  return 0;
}
