/** `cfskit admin os-init STATEROOT --sysroot DIR` = `ostree admin os-init` (spec ostree.md §3.2). */
import { withSysrootLock } from '../../sysroot/lock.js';
import { osInit } from '../../sysroot/layout.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin os-init',
  synopsis: ['[--sysroot=DIR] STATEROOT'],
  description: 'Create the stateroot STATEROOT (ostree/deploy/STATEROOT with its shared /var) in an\ninitialized sysroot (see admin init-fs).',
  options: SYSROOT_OPTION,
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [stateroot] = positionals(p, 1);
  const sysroot = sysrootOption(p);
  await withSysrootLock(sysroot, () => osInit(sysroot, stateroot));
  process.stdout.write(`ostree/deploy/${stateroot} initialized as OSTree root\n`);
  return 0;
}
