/** `cfskit fsck --repo R`: check stub commits and the cfs/ store; lists every problem, exit 1 if any. */
import { fsckRepo } from '../cfs/fsck.js';
import type { VerbSpec } from './args.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'fsck',
  synopsis: ['--repo=PATH'],
  description: 'Check every stub commit, image and cfs object of the repository; exit 1 if any is\nmissing or corrupt.',
  options: { repo: { type: 'string', value: 'PATH', help: 'the repository (required)' } },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const problems = await fsckRepo(repoOption(p));
  for (const { path, reason } of problems) process.stdout.write(`${path}: ${reason}\n`);
  process.stdout.write(problems.length ? `${problems.length} problem(s) found\n` : 'no problems found\n');
  return problems.length ? 1 : 0;
}
