/**
 * `cfskit admin kargs [--sysroot DIR] [--deployment INDEX] [--append K=V]... [--delete K[=V]]... [--replace K=V]...`:
 * edits a deployment's kernel command line and writes a new bootversion; without edits prints it.
 */
import { loadSysroot } from '../../sysroot/deployments.js';
import { kargs } from '../../sysroot/operations.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin kargs',
  synopsis: ['[--sysroot=DIR] [--deployment=INDEX] [--append=K=V]... [--delete=K[=V]]... [--replace=K=V]...'],
  description: "Print a deployment's kernel arguments, or edit them (written as a new boot version).",
  options: {
    ...SYSROOT_OPTION,
    deployment: { type: 'string', value: 'INDEX', help: 'the deployment, by its position in admin status (default 0)' },
    append: { type: 'string', multiple: true, value: 'K=V', help: 'add an argument' },
    delete: { type: 'string', multiple: true, value: 'K[=V]', help: 'remove an argument (every K=... without =V)' },
    replace: { type: 'string', multiple: true, value: 'K=V', help: 'replace the value of argument K' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const sysroot = sysrootOption(p);
  const index = typeof p.values.deployment === 'string' ? indexArg(p.values.deployment) : 0;
  const edit = { append: p.values.append as string[] | undefined, delete: p.values.delete as string[] | undefined, replace: p.values.replace as string[] | undefined };
  if (edit.append || edit.delete || edit.replace) await kargs(sysroot, edit, index);
  process.stdout.write(`${loadSysroot(sysroot).deployments[index]?.entry.options ?? ''}\n`);
  return 0;
}
