/**
 * `cfskit admin verify [--sysroot DIR] [--entry N] [--quick]`: the boot chain a prepare-root walks,
 * offline (src/sysroot/verify.ts). Prints every broken link; exit 1 when there is any.
 */
import { CfsError } from '../../errors.js';
import { verify } from '../../sysroot/verify.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin verify',
  synopsis: ['[--sysroot=DIR] [--entry=N] [--quick]'],
  description: `Check offline the chain a prepare-root walks at boot: BLS entry, kernel and initramfs,
the ostree= and composefs= arguments, the image's fs-verity digest and every object it names.
Prints each broken link; exit 1 if there is any, or if there is no boot entry.`,
  options: {
    ...SYSROOT_OPTION,
    entry: { type: 'string', value: 'N', help: 'check only boot entry N (0: the default)' },
    quick: { type: 'boolean', help: "check the image's objects by presence and size only, not by digest" },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const entry = typeof p.values.entry === 'string' ? indexArg(p.values.entry) : undefined;
  const r = await verify(sysrootOption(p), { entry, quickObjects: p.values.quick === true });
  for (const x of r.problems) process.stderr.write(`${x.entry || 'sysroot'}: ${x.link}: ${x.reason}\n`);
  if (r.problems.length > 0) return 1;
  if (r.entries.length === 0) throw new CfsError('no boot entries to verify (nothing deployed)', { code: 'ENODEPLOY' });
  process.stdout.write(`${r.entries.length} boot entr${r.entries.length === 1 ? 'y' : 'ies'} verified\n`);
  return 0;
}
