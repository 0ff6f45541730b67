/** `cfskit fsck --repo R`: check stub commits and the cfs/ store; lists every problem, exit 1 if any. */
import { fsckRepo } from '../cfs/fsck.js';
import type { VerbSpec } from './args.js';
import { withActivity } from './progress.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'fsck',
  synopsis: ['--repo=PATH'],
  description: 'Check every stub commit, image and cfs object of the repository; exit 1 if any is\nmissing or corrupt.',
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress display (drawn only when stderr is a terminal)' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const repo = repoOption(p);
  const problems = await withActivity('Checking', () => fsckRepo(repo), { quiet: p.values.quiet === true });
  for (const { path, reason } of problems) process.stdout.write(`${path}: ${reason}\n`);
  process.stdout.write(problems.length ? `${problems.length} problem(s) found\n` : 'no problems found\n');
  return problems.length ? 1 : 0;
}
