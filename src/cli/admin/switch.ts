/**
 * `cfskit admin switch [--sysroot=DIR] [--os=STATEROOT] [REMOTE:]REF`: pull REF and deploy it with
 * an origin following it (a bare REF keeps the current remote), as `ostree admin switch`.
 */
import { upgrade } from '../../upgrade/upgrade.js';
import { createProgress } from '../progress.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';
import { report, waiting } from './upgrade.js';

const USAGE = 'Usage: cfskit admin switch [--sysroot=DIR] [--os=STATEROOT] [REMOTE:]REF\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { ...SYSROOT_OPTION, os: { type: 'string' } }, USAGE);
  if (!p) return 0;
  const [target] = positionals(p, 1, USAGE);
  const progress = createProgress();
  try {
    report(await upgrade({ sysroot: sysrootOption(p), os: p.values.os as string | undefined, switchTo: target, progress, onWait: waiting }), false);
  } finally {
    progress?.stop();
  }
  return 0;
}
