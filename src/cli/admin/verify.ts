/**
 * `cfskit admin verify [--sysroot DIR] [--entry N] [--quick]`: the boot chain a prepare-root walks,
 * offline (src/sysroot/verify.ts). Prints every broken link; exit 1 when there is any.
 */
import { verify } from '../../sysroot/verify.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin verify [--sysroot=DIR] [--entry=N] [--quick]\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { ...SYSROOT_OPTION, entry: { type: 'string' }, quick: { type: 'boolean' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const entry = typeof p.values.entry === 'string' ? indexArg(p.values.entry, USAGE) : undefined;
  const r = await verify(sysrootOption(p), { entry, quickObjects: p.values.quick === true });
  for (const x of r.problems) process.stderr.write(`${x.entry || 'sysroot'}: ${x.link}: ${x.reason}\n`);
  if (r.problems.length > 0) return 1;
  process.stdout.write(`${r.entries.length} boot entr${r.entries.length === 1 ? 'y' : 'ies'} verified\n`);
  return 0;
}
