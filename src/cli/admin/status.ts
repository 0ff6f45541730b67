/**
 * `cfskit admin status [--json] --sysroot DIR`: the deployment list in `ostree admin status`'s
 * text layout (spec ostree.md §3.8), or as JSON.
 */
import { status } from '../../sysroot/status-of.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin status [--json] [--sysroot=DIR]\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { ...SYSROOT_OPTION, json: { type: 'boolean' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const s = status(sysrootOption(p));
  process.stdout.write(p.values.json ? `${JSON.stringify(s.deployments, null, 2)}\n` : s.text);
  return 0;
}
