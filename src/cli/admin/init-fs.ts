/** `cfskit admin init-fs DIR` = `ostree admin init-fs` (spec ostree.md §3.1). */
import { initFs } from '../../sysroot/layout.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';

export const spec: VerbSpec = {
  name: 'admin init-fs',
  synopsis: ['DIR'],
  description: 'Create an empty sysroot skeleton (boot/, ostree/repo, sysroot/, ...) in the existing directory DIR.',
  options: {},
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [dir] = positionals(p, 1);
  initFs(dir);
  return 0;
}
