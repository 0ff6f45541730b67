/**
 * `cfskit admin kargs [--sysroot DIR] [--deployment INDEX] [--append K=V]... [--delete K[=V]]... [--replace K=V]...`:
 * edits a deployment's kernel command line and writes a new bootversion; without edits prints it.
 */
import { loadSysroot } from '../../sysroot/deployments.js';
import { kargs } from '../../sysroot/operations.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin kargs [--sysroot=DIR] [--deployment=INDEX] [--append=K=V]... [--delete=K[=V]]... [--replace=K=V]...\n';

export async function run(args: string[]): Promise<number> {
  const list = { type: 'string' as const, multiple: true };
  const p = parseCommand(args, { ...SYSROOT_OPTION, deployment: { type: 'string' }, append: list, delete: list, replace: list }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const sysroot = sysrootOption(p);
  const index = typeof p.values.deployment === 'string' ? indexArg(p.values.deployment, USAGE) : 0;
  const edit = { append: p.values.append as string[] | undefined, delete: p.values.delete as string[] | undefined, replace: p.values.replace as string[] | undefined };
  if (edit.append || edit.delete || edit.replace) await kargs(sysroot, edit, index);
  process.stdout.write(`${loadSysroot(sysroot).deployments[index]?.entry.options ?? ''}\n`);
  return 0;
}
