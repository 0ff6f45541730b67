/** `cfskit admin undeploy INDEX [--sysroot DIR]` = `ostree admin undeploy` (spec ostree.md §3.9), then cleanup. */
import { undeploy } from '../../sysroot/operations.js';
import type { VerbSpec } from '../args.js';
import { parseCommand, positionals } from '../repo-args.js';
import { indexArg } from './index-arg.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin undeploy',
  synopsis: ['[--sysroot=DIR] INDEX'],
  description: 'Remove the deployment at INDEX (its position in admin status), then clean up.',
  options: SYSROOT_OPTION,
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [index] = positionals(p, 1);
  await undeploy(sysrootOption(p), indexArg(index));
  process.stdout.write(`Deleted deployment ${index}\n`);
  return 0;
}
