/** `cfskit admin rollback [--sysroot DIR]`: the rollback deployment becomes the default (spec ostree.md §3.9). */
import { rollback } from '../../sysroot/operations.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin rollback [--sysroot=DIR]\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, SYSROOT_OPTION, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  await rollback(sysrootOption(p));
  process.stdout.write('Rollback deployment is now the default\n');
  return 0;
}
