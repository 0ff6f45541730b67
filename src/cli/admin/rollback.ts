/** `cfskit admin rollback [--sysroot DIR]`: the rollback deployment becomes the default (spec ostree.md §3.9). */
import { rollback } from '../../sysroot/operations.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin rollback',
  synopsis: ['[--sysroot=DIR]'],
  description: 'Make the rollback deployment (the second in admin status) the default boot entry.',
  options: SYSROOT_OPTION,
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  await rollback(sysrootOption(p));
  process.stdout.write('Rollback deployment is now the default\n');
  return 0;
}
