/** `cfskit admin pin [--unpin] INDEX [--sysroot DIR]` = `ostree admin pin` (spec ostree.md §3.9). */
import { pin } from '../../sysroot/operations.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin pin [--unpin] [--sysroot=DIR] INDEX\n';

/** Shared by `pin` and `unpin` (which is `pin --unpin`). */
export async function runPin(args: string[], unpin: boolean, usage = USAGE): Promise<number> {
  const p = parseCommand(args, { ...SYSROOT_OPTION, ...(unpin ? {} : { unpin: { type: 'boolean' as const } }) }, usage);
  if (!p) return 0;
  const [index] = positionals(p, 1, usage);
  const pinned = !(unpin || p.values.unpin === true);
  await pin(sysrootOption(p), indexArg(index, usage), pinned);
  process.stdout.write(`Deployment ${index} is now ${pinned ? 'pinned' : 'unpinned'}\n`);
  return 0;
}

export const run = (args: string[]) => runPin(args, false);
