/** `cfskit admin pin [--unpin] INDEX [--sysroot DIR]` = `ostree admin pin` (spec ostree.md §3.9). */
import { pin } from '../../sysroot/operations.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin pin',
  synopsis: ['[--unpin] [--sysroot=DIR] INDEX'],
  description: 'Keep the deployment at INDEX (its position in admin status) when later deploys clean up.',
  options: { ...SYSROOT_OPTION, unpin: { type: 'boolean', help: 'undo a pin' } },
};

export const unpinSpec: VerbSpec = {
  name: 'admin unpin',
  synopsis: ['[--sysroot=DIR] INDEX'],
  description: 'Undo admin pin INDEX.',
  options: SYSROOT_OPTION,
};

/** Shared by `pin` and `unpin` (which is `pin --unpin`). */
export async function runPin(args: string[], unpin: boolean): Promise<number> {
  const s = unpin ? unpinSpec : spec;
  const p = parseCommand(args, s.options, s);
  if (!p) return 0;
  const [index] = positionals(p, 1);
  const pinned = !(unpin || p.values.unpin === true);
  await pin(sysrootOption(p), indexArg(index), pinned);
  process.stdout.write(`Deployment ${index} is now ${pinned ? 'pinned' : 'unpinned'}\n`);
  return 0;
}

export const run = (args: string[]) => runPin(args, false);
