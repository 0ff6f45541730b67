/** `cfskit refs --repo R`: one ref per line, remote refs as REMOTE:NAME (spec ostree.md §2.10). */
import { listRefs } from '../ostree/refs.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

const USAGE = 'Usage: cfskit refs --repo=PATH\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  process.stdout.write([...listRefs(repoOption(p, USAGE)).keys()].map((r) => `${r}\n`).join(''));
  return 0;
}
