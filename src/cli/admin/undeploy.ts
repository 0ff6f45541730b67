/** `cfskit admin undeploy INDEX [--sysroot DIR]` = `ostree admin undeploy` (spec ostree.md §3.9), then cleanup. */
import { undeploy } from '../../sysroot/operations.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin undeploy [--sysroot=DIR] INDEX\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, SYSROOT_OPTION, USAGE);
  if (!p) return 0;
  const [index] = positionals(p, 1, USAGE);
  await undeploy(sysrootOption(p), indexArg(index, USAGE));
  process.stdout.write(`Deleted deployment ${index}\n`);
  return 0;
}
