/** `cfskit fsck --repo R`: check stub commits and the cfs/ store; lists every problem, exit 1 if any. */
import { fsckRepo } from '../cfs/fsck.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

const USAGE = 'Usage: cfskit fsck --repo=PATH\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const problems = await fsckRepo(repoOption(p, USAGE));
  for (const { path, reason } of problems) process.stdout.write(`${path}: ${reason}\n`);
  process.stdout.write(problems.length ? `${problems.length} problem(s) found\n` : 'no problems found\n');
  return problems.length ? 1 : 0;
}
