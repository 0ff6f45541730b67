/** `cfskit init --repo R [--mode=M]`: create an ostree repository like `ostree init` (spec ostree.md §2.1). */
import { CfsError } from '../errors.js';
import { initRepo, INIT_MODES, type RepoMode } from '../ostree/repo.js';
import { parseCommand, positionals } from './repo-args.js';

const USAGE = `Usage: cfskit init --repo=PATH [--mode=${INIT_MODES.join('|')}]\n`;

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' }, mode: { type: 'string', default: 'bare' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  if (typeof p.values.repo !== 'string') throw new CfsError(`--repo is required\n${USAGE}`, { code: 'EUSAGE' });
  const mode = p.values.mode as string;
  if (!INIT_MODES.includes(mode as RepoMode)) throw new CfsError(`invalid mode '${mode}'\n${USAGE}`, { field: 'mode', code: 'EUSAGE' });
  initRepo(p.values.repo, mode as RepoMode);
  return 0;
}
