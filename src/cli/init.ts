/** `cfskit init --repo R [--mode=M]`: create an ostree repository like `ostree init` (spec ostree.md §2.1). */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CfsError } from '../errors.js';
import { initRepo, INIT_MODES, type RepoMode } from '../ostree/repo.js';
import type { VerbSpec } from './args.js';
import { parseCommand, positionals } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'init',
  synopsis: ['--repo=PATH [--mode=MODE]'],
  description: 'Create an ostree repository at PATH, as ostree init does; its parent directory must exist.',
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository to create (required)' },
    mode: { type: 'string', value: 'MODE', default: 'bare', help: `repository mode: ${INIT_MODES.join(', ')}` },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  if (typeof p.values.repo !== 'string') throw new CfsError('--repo is required', { code: 'EUSAGE' });
  const mode = p.values.mode as string;
  if (!INIT_MODES.includes(mode as RepoMode)) throw new CfsError(`invalid mode '${mode}' (${INIT_MODES.join(', ')})`, { field: '--mode', code: 'EUSAGE' });
  // As ostree init: the repository directory itself is created, never its parents.
  const parent = dirname(resolve(p.values.repo));
  const st = statSync(parent, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new CfsError(st ? 'not a directory' : 'no such file or directory', { file: parent, code: st ? 'ENOTDIR' : 'ENOENT' });
  const here = statSync(p.values.repo, { throwIfNoEntry: false });
  if (here && !here.isDirectory()) throw new CfsError('exists and is not a directory', { file: p.values.repo, code: 'ENOTDIR' });
  initRepo(p.values.repo, mode as RepoMode);
  return 0;
}
