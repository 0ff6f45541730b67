/** `cfskit admin os-init STATEROOT --sysroot DIR` = `ostree admin os-init` (spec ostree.md §3.2). */
import { withSysrootLock } from '../../sysroot/lock.js';
import { osInit } from '../../sysroot/layout.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin os-init STATEROOT [--sysroot=DIR]\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, SYSROOT_OPTION, USAGE);
  if (!p) return 0;
  const [stateroot] = positionals(p, 1, USAGE);
  const sysroot = sysrootOption(p);
  await withSysrootLock(sysroot, () => osInit(sysroot, stateroot));
  process.stdout.write(`ostree/deploy/${stateroot} initialized as OSTree root\n`);
  return 0;
}
