/**
 * `cfskit admin finalize-staged [--sysroot=DIR]` = `ostree admin finalize-staged`: run at shutdown
 * by cfskit-finalize-staged.service (docs/FORMAT.md "Staged deployments").
 */
import { finalizeStaged } from '../../sysroot/finalize.js';
import { deployName } from '../../sysroot/layout.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin finalize-staged',
  synopsis: ['[--sysroot=DIR]'],
  description: `Merge /etc into the staged deployment as it is now and make that deployment the default
boot entry, then clean up, as ostree admin finalize-staged does at shutdown. Nothing staged, or
/run/ostree/staged-deployment-locked present: nothing is done.`,
  options: SYSROOT_OPTION,
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const r = await finalizeStaged(sysrootOption(p));
  if (r.locked) process.stdout.write('Not finalizing; found /run/ostree/staged-deployment-locked\n');
  else if (!r.finalized || !r.etc) process.stdout.write('No deployment staged for finalization\n');
  else {
    const { modified, removed, added } = r.etc;
    process.stdout.write(`Copying /etc changes: ${modified.length} modified, ${removed.length} removed, ${added.length} added\n`);
    process.stdout.write(`Finalized ${r.finalized.stateroot} ${deployName(r.finalized)}\n`);
  }
  return 0;
}
