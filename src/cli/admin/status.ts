/**
 * `cfskit admin status [--json] --sysroot DIR`: the deployment list in `ostree admin status`'s
 * text layout (spec ostree.md §3.8), or as JSON.
 */
import { status } from '../../sysroot/status-of.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin status',
  synopsis: ['[--json] [--sysroot=DIR]'],
  description: 'List the deployments in boot order, as ostree admin status does.',
  options: { ...SYSROOT_OPTION, json: { type: 'boolean', help: 'print the deployments as a JSON array' } },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const s = status(sysrootOption(p));
  process.stdout.write(p.values.json ? `${JSON.stringify(s.deployments, null, 2)}\n` : s.text);
  return 0;
}
